# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Anatomical joint-angle limits and the template hand they refer to.

Angles follow :mod:`semihand_mmpose.biomech.skeleton`: flexion towards the palm is positive,
abduction towards the little finger is positive. The ranges are anatomical defaults (active range of
motion, rounded, after Cobos et al. 2008 and Spurr et al. 2020); ``tools/biomech/compute_limits.py``
replaces them by percentiles of a labelled set.
"""
import numpy as np

#: (flexion lo, flexion hi, abduction lo, abduction hi) in degrees, per finger (thumb .. little) and
#: per articulated joint (j1, j2, j3): the thumb's CMC, MCP, IP; a finger's MCP, PIP, DIP.
ANGLE_LIMITS_DEG = np.array([
    # thumb: the CMC's rest direction is set by the template, its range is wide
    [[-25., 55., -55., 25.], [-15., 75., -12., 12.], [-20., 90., -6., 6.]],
    # index
    [[-30., 90., -25., 20.], [-5., 110., -6., 6.], [-10., 90., -6., 6.]],
    # middle
    [[-30., 90., -20., 20.], [-5., 110., -6., 6.], [-10., 90., -6., 6.]],
    # ring
    [[-30., 90., -20., 25.], [-5., 110., -6., 6.], [-10., 90., -6., 6.]],
    # little
    [[-30., 90., -20., 30.], [-5., 110., -6., 6.], [-10., 90., -6., 6.]],
], dtype=np.float64)

#: A right hand in its palm frame (mm): x from the wrist towards the fingers, y towards the little
#: finger, z out of the palm. Rows: thumb CMC, index, middle, ring, little MCP (the wrist is 0).
TEMPLATE_ROOTS_MM = np.array([
    [26., -22., 12.],
    [86., -23., 0.],
    [88., 0., 0.],
    [82., 19., 0.],
    [72., 36., 0.],
], dtype=np.float64)

#: Lengths (mm) of the three distal bones of each finger, thumb .. little.
TEMPLATE_PHALANGES_MM = np.array([
    [42., 31., 27.],
    [43., 25., 22.],
    [48., 29., 24.],
    [44., 28., 23.],
    [34., 20., 20.],
], dtype=np.float64)

#: Where the thumb rests relative to its root bone (deg): flexed towards the palm and turned away
#: from the fingers; the sampler adds this offset to the thumb CMC's sampled angles.
THUMB_REST_DEG = np.array([20., -30.])


def angle_limits_rad() -> np.ndarray:
    """The angle table in radians, shape (5, 3, 4)."""
    return np.deg2rad(ANGLE_LIMITS_DEG)
