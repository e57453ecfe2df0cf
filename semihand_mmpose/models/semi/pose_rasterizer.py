# Copyright (c) semihand_mmpose authors. All rights reserved.
"""A differentiable hand mask drawn from 2D keypoints (the pose side of cross-modal consistency)."""
from typing import Tuple

import torch
from torch import Tensor

from semihand_mmpose.biomech.skeleton import BONES

#: Segments that cover the palm: the wrist to each knuckle and across the knuckles.
PALM_SEGMENTS = ((0, 1), (0, 5), (0, 9), (0, 13), (0, 17), (5, 9), (9, 13), (13, 17), (1, 5),
                 (0, 2))
#: Finger segments: every bone that does not start at the wrist.
FINGER_SEGMENTS = tuple((a, b) for a, b in BONES if a != 0)


def rasterize_hand_mask(uv: Tensor, size: Tuple[int, int], finger_radius: float = 0.055,
                        palm_radius: float = 0.11, softness: float = 0.35) -> Tensor:
    """Soft hand mask from keypoints, differentiable in ``uv``.

    Each finger bone is a thick segment and the palm a fan of thicker ones; a pixel's occupancy of a
    segment is ``sigmoid((r - d) / (softness r))`` with ``d`` its distance to the segment, and the
    mask is the soft union ``1 - prod(1 - occupancy)``. Radii are fractions of the hand's 2D extent,
    so the mask scales with the hand in the crop.

    Args:
        uv (Tensor): Keypoints (B, 21, 2) in the mask's pixel coordinates.
        size (tuple): ``(w, h)`` of the mask.
        finger_radius (float): Finger thickness as a fraction of the hand's extent.
        palm_radius (float): Palm segment thickness as a fraction of the hand's extent.
        softness (float): Width of the sigmoid edge relative to the radius.

    Returns:
        Tensor: (B, 1, h, w) in (0, 1).
    """
    w, h = size
    extent = (uv.amax(1) - uv.amin(1)).amax(-1).clamp_min(1.0)  # (B,)
    ys, xs = torch.meshgrid(torch.arange(h, dtype=uv.dtype, device=uv.device),
                            torch.arange(w, dtype=uv.dtype, device=uv.device), indexing='ij')
    pix = torch.stack([xs, ys], -1).view(1, 1, h * w, 2)
    empty = torch.ones(uv.shape[0], h * w, dtype=uv.dtype, device=uv.device)
    for segments, radius in ((FINGER_SEGMENTS, finger_radius), (PALM_SEGMENTS, palm_radius)):
        a = uv[:, [s[0] for s in segments]][:, :, None]  # (B, S, 1, 2)
        b = uv[:, [s[1] for s in segments]][:, :, None]
        ab = b - a
        t = (((pix - a) * ab).sum(-1) / (ab * ab).sum(-1).clamp_min(1e-6)).clamp(0.0, 1.0)
        dist = (pix - (a + t[..., None] * ab)).norm(dim=-1)  # (B, S, HW)
        r = (radius * extent)[:, None, None]
        occupancy = torch.sigmoid((r - dist) / (softness * r))
        empty = empty * (1.0 - occupancy).prod(1)
    return (1.0 - empty).view(-1, 1, h, w)
