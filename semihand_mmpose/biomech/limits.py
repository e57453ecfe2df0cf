# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Anatomical joint-angle limits and the template hand they refer to.

Angles follow :mod:`semihand_mmpose.biomech.skeleton`: flexion towards the palm is positive,
abduction towards the little finger is positive. The ranges are anatomical defaults (active range of
motion, rounded, after Cobos et al. 2008 and Spurr et al. 2020); ``tools/biomech/compute_limits.py``
replaces them by percentiles of a labelled set.
"""
import io
from typing import Optional, Tuple

import numpy as np

from semihand_mmpose.fileio import AtomicLocalBackend

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


def _template_bone_ratios() -> np.ndarray:
    """The template's 20 bone lengths divided by its reference bone, in ``skeleton.BONES`` order."""
    ratios = []
    ref = np.linalg.norm(TEMPLATE_ROOTS_MM[2])
    for finger in range(5):
        ratios.append(np.linalg.norm(TEMPLATE_ROOTS_MM[finger]) / ref)
        ratios.extend(TEMPLATE_PHALANGES_MM[finger] / ref)
    return np.asarray(ratios)


#: (20, 2) default ``[lo, hi]`` of bone length / reference bone length: the template's ratio +-25%,
#: wide enough for adult hands (phalanx ratios vary about +-15% between people, Buryanov &
#: Kotiuk 2010). Replace by percentiles of a labelled set with ``tools/biomech/compute_limits.py``.
BONE_RATIO_LIMITS = np.stack([_template_bone_ratios() * 0.75, _template_bone_ratios() * 1.25], 1)


def save_limits(path: str, bone_ratio: np.ndarray, angle_deg: np.ndarray, **meta) -> None:
    """Write a limits table (``.npz``) atomically (:class:`AtomicLocalBackend`)."""
    with io.BytesIO() as f:
        np.savez(f, bone_ratio=bone_ratio, angle_deg=angle_deg, **meta)
        AtomicLocalBackend().put(f.getvalue(), path)


def load_limits(path: str) -> dict:
    """Read a limits table written by :func:`save_limits`, checking its shapes."""
    with np.load(path) as data:
        table = {k: data[k] for k in data.files}
    for key, shape in (('bone_ratio', (20, 2)), ('angle_deg', (5, 3, 4))):
        if key not in table:
            raise KeyError(f'limits file {path!r} has no field "{key}"')
        if table[key].shape != shape:
            raise ValueError(f'limits file {path!r}: "{key}" has shape {table[key].shape}, '
                             f'expected {shape}')
    return table


def limits_from_poses(joints: np.ndarray, is_left: Optional[np.ndarray] = None,
                      percentiles: Tuple[float, float] = (1.0, 99.0),
                      margin: float = 0.0) -> dict:
    """Limits as percentiles of labelled 3D poses (what ``tools/biomech/compute_limits.py`` does
    with an annotation file).

    Bone lengths are measured in units of each pose's reference bone and angles in the
    corrector's parameterisation (:func:`skeleton.inverse_kinematics`), so the table means to the
    corrector exactly what it measured.

    Args:
        joints (np.ndarray): (N, 21, 3) poses, any unit.
        is_left (np.ndarray, optional): (N,) bool; a left hand's angles are those of its mirror
            image (x -> -x), a right hand, as the corrector measures them.
        percentiles (tuple): ``(lo, hi)`` percentiles of each quantity. Defaults to ``(1, 99)``.
        margin (float): Fraction of each range added on both sides (e.g. 0.1 widens a range by
            10% of its width at each end), for a target whose hands may go a little beyond the
            labelled set's. Defaults to 0.

    Returns:
        dict: ``bone_ratio`` (20, 2) and ``angle_deg`` (5, 3, 4), as :func:`save_limits` takes.
    """
    import torch

    from . import skeleton
    joints = np.asarray(joints, np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (21, 3) or len(joints) == 0:
        raise ValueError(f'joints must have shape (N, 21, 3) with N > 0, got {joints.shape}')
    lo_p, hi_p = percentiles
    if not 0.0 <= lo_p < hi_p <= 100.0:
        raise ValueError(f'percentiles must satisfy 0 <= lo < hi <= 100, got {percentiles}')
    x = torch.from_numpy(joints)
    ref = skeleton.reference_length(x)
    usable = torch.isfinite(x).flatten(1).all(1) & (ref > 1e-9)
    if not bool(usable.all()):
        bad = torch.nonzero(~usable).flatten()[:5].tolist()
        raise ValueError(f'{int((~usable).sum())} pose(s) have a non-finite coordinate or a '
                         f'zero-length reference bone, e.g. rows {bad}')
    ratios = (skeleton.bone_lengths(x) / ref[:, None]).numpy()
    if is_left is not None:
        # measured on the mirror image, a right hand, as the corrector measures them
        sign = np.where(np.asarray(is_left, bool), -1.0, 1.0)
        x = x * torch.from_numpy(np.stack([sign, np.ones_like(sign), np.ones_like(sign)],
                                          -1))[:, None]
    _, _, _, flex, abd = skeleton.inverse_kinematics(x)
    flex, abd = np.rad2deg(flex.numpy()), np.rad2deg(abd.numpy())  # (N, 5, 3)

    def span(values: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        lo, hi = np.percentile(values, [lo_p, hi_p], axis=0)
        pad = margin * (hi - lo)
        return lo - pad, hi + pad

    bone_ratio = np.stack(span(ratios), axis=-1)
    flex_lo, flex_hi = span(flex)
    abd_lo, abd_hi = span(abd)
    angle_deg = np.stack([flex_lo, flex_hi, abd_lo, abd_hi], axis=-1)
    return dict(bone_ratio=bone_ratio, angle_deg=angle_deg)
