# Copyright (c) semihand_mmpose authors. All rights reserved.
"""From 2.5D ``(u, v, z_rel)`` to 3D, after Iqbal et al. (ECCV 2018).

``z_rel = (Z_j - Z_root) / s`` with ``s`` the reference bone's length. The reference bone (joints
``n``, ``m``) has length 1 in units of ``s``, which fixes the root depth ``Z`` (in units of ``s``)
as the larger root of ``a Z^2 + b Z + c = 0`` (see ``semihand-method.md``). The absolute scale ``s``
is not observable from one image: the caller supplies it.
"""
from typing import Tuple

import torch
from torch import Tensor

from semihand_mmpose.biomech.skeleton import REF_BONE


def _normalised_rays(uv: Tensor, K: Tensor) -> Tensor:
    """``K^-1 (u, v, 1)``; shape (..., N, 3) with last coordinate 1."""
    ones = torch.ones_like(uv[..., :1])
    rays = torch.cat([uv, ones], dim=-1) @ torch.linalg.inv(K).transpose(-1, -2)
    return rays / rays[..., 2:3]


def solve_root_depth(uv: Tensor, z_rel: Tensor, K: Tensor,
                     ref_bone: Tuple[int, int] = REF_BONE) -> Tensor:
    """Root depth in units of the reference bone.

    Args:
        uv (Tensor): Pixels (..., N, 2) in the image that ``K`` describes.
        z_rel (Tensor): Relative depths (..., N) in units of the reference bone.
        K (Tensor): Intrinsics (..., 3, 3).
        ref_bone (tuple): Joint indices ``(n, m)`` of the reference bone.

    Returns:
        Tensor: ``Z`` (...,). Where the quadratic has no real root (a pose the bone length cannot
        explain) the discriminant is clamped at 0, which gives the depth where the bone comes
        closest to unit length.
    """
    rays = _normalised_rays(uv, K)
    n, m = ref_bone
    xn, yn, xm, ym = rays[..., n, 0], rays[..., n, 1], rays[..., m, 0], rays[..., m, 1]
    zn, zm = z_rel[..., n], z_rel[..., m]
    a = (xn - xm) ** 2 + (yn - ym) ** 2
    b = 2.0 * (zn * (xn ** 2 + yn ** 2 - xn * xm - yn * ym)
               + zm * (xm ** 2 + ym ** 2 - xn * xm - yn * ym))
    c = (xn * zn - xm * zm) ** 2 + (yn * zn - ym * zm) ** 2 + (zn - zm) ** 2 - 1.0
    disc = (b * b - 4.0 * a * c).clamp_min(0.0)
    return (-b + disc.sqrt()) / (2.0 * a).clamp_min(1e-12)


def lift_25d_to_3d(uv: Tensor, z_rel: Tensor, K: Tensor, bone_length: Tensor,
                   ref_bone: Tuple[int, int] = REF_BONE) -> Tensor:
    """3D joints in the camera frame from 2.5D.

    Args:
        uv (Tensor): Pixels (..., N, 2).
        z_rel (Tensor): Relative depths (..., N) in units of the reference bone.
        K (Tensor): Intrinsics (..., 3, 3) of the image ``uv`` lies in.
        bone_length (Tensor): Reference bone length (...,) in the output unit (e.g. mm).
        ref_bone (tuple): Joint indices of the reference bone.

    Returns:
        Tensor: Joints (..., N, 3); joint ``j`` is ``(x_j, y_j, 1) (Z + z_j) s``.
    """
    root = solve_root_depth(uv, z_rel, K, ref_bone)
    rays = _normalised_rays(uv, K)
    depth = (root[..., None] + z_rel) * bone_length[..., None]
    return rays * depth[..., None]
