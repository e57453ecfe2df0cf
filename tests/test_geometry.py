# Copyright (c) semihand_mmpose authors. All rights reserved.
import numpy as np
import pytest
import torch
from mmpose.structures.bbox import get_warp_matrix

from semihand_mmpose.geometry import (apply_affine, crop_matrix, invert_affine, lift_25d_to_3d,
                                      solve_root_depth)


@pytest.mark.parametrize('rot', [0.0, 30.0, -75.0])
def test_crop_matrix_matches_mmpose_warp(rot):
    center, scale = np.array([60.0, 52.0]), np.array([80.0, 80.0])
    ours = crop_matrix(center, scale, rot, (64, 64))
    theirs = get_warp_matrix(center, scale, rot, output_size=(64, 64))
    np.testing.assert_allclose(ours[:2], theirs, atol=1e-5)


def test_apply_and_invert_are_exact():
    m = crop_matrix(np.array([10.0, 20.0]), np.array([50.0, 40.0]), 33.0, (64, 48))
    pts = np.random.default_rng(0).uniform(0, 100, (21, 2))
    back = apply_affine(apply_affine(pts, m), invert_affine(m))
    np.testing.assert_allclose(back, pts, atol=1e-9)


def test_lifting_recovers_a_520mm_bone_and_all_joints():
    rng = np.random.default_rng(3)
    joints = torch.as_tensor(rng.uniform(-60, 60, (21, 3)) + np.array([20.0, -10.0, 520.0]))
    K = torch.tensor([[600.0, 0.0, 320.0], [0.0, 610.0, 240.0], [0.0, 0.0, 1.0]],
                     dtype=torch.float64)
    uvw = joints @ K.T
    uv = uvw[:, :2] / uvw[:, 2:]
    s = (joints[9] - joints[0]).norm()
    z_rel = (joints[:, 2] - joints[0, 2]) / s
    assert float(solve_root_depth(uv, z_rel, K) * s) == pytest.approx(float(joints[0, 2]), rel=1e-9)
    torch.testing.assert_close(lift_25d_to_3d(uv, z_rel, K, s), joints)
