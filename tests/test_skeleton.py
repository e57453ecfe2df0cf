# Copyright (c) semihand_mmpose authors. All rights reserved.
import numpy as np
import torch

from semihand_mmpose.biomech import limits, skeleton
from semihand_mmpose.datasets.synthetic import hand_sampler


def _hands(n, seed=0):
    rng = np.random.default_rng(seed)
    dist = hand_sampler.PoseDistribution(curl=(0.0, 1.0))
    return torch.as_tensor(np.stack([hand_sampler.sample_hand_joints(rng, dist) for _ in range(n)]))


def test_forward_of_inverse_kinematics_rebuilds_the_pose():
    joints = _hands(32)
    rebuilt = skeleton.forward_kinematics(joints[:, 0], *skeleton.inverse_kinematics(joints))
    assert torch.allclose(rebuilt, joints, atol=1e-9)


def test_sampled_angles_lie_inside_the_anatomical_limits():
    _, _, _, flex, abd = skeleton.inverse_kinematics(_hands(64, seed=1))
    lim = torch.as_tensor(limits.angle_limits_rad())
    tol = 1e-6
    assert bool((flex >= lim[..., 0] - tol).all() and (flex <= lim[..., 1] + tol).all())
    assert bool((abd >= lim[..., 2] - tol).all() and (abd <= lim[..., 3] + tol).all())


def test_flexion_bends_towards_the_palm():
    joints = _hands(1)
    normal = skeleton.palm_normal(joints)[0]
    # a straight index finger rotated by +90 degrees of PIP flexion points along the palm normal
    root_bones, frames, lengths, flex, abd = skeleton.inverse_kinematics(joints)
    flex = torch.zeros_like(flex)
    abd = torch.zeros_like(abd)
    flex[0, 1, 1] = np.pi / 2
    bent = skeleton.forward_kinematics(joints[:, 0], root_bones, frames, lengths, flex, abd)[0]
    middle_phalanx = bent[7] - bent[6]
    assert float(middle_phalanx @ normal / middle_phalanx.norm()) > 0.99


def test_reference_length_and_bone_lengths():
    joints = torch.zeros(21, 3)
    # reference_length writes REF_BONE's joints out (for TorchScript): they must stay the same
    start, end = skeleton.REF_BONE
    joints[start] = torch.tensor([1.0, 1.0, 1.0])
    joints[end] = torch.tensor([1.0, 4.0, 5.0])
    assert float(skeleton.reference_length(joints)) == 5.0
    assert float(skeleton.bone_lengths(joints)[8]) == 5.0  # bone 8 ends at joint 9


def test_the_batch_last_palm_normal_is_the_palm_normal():
    """The corrector's palm normal, read off joints held (3, 21, B), is palm_normal's."""
    dist = hand_sampler.PoseDistribution()
    joints = torch.as_tensor(hand_sampler.build_hands(
        [hand_sampler.sample_hand_parameters(np.random.default_rng(i), dist) for i in range(5)]))
    normal = skeleton.palm_normal_of(joints.permute(2, 1, 0))
    torch.testing.assert_close(normal.T, skeleton.palm_normal(joints), atol=1e-12, rtol=0)
    # a degenerate palm (the wrist, index and little MCPs on one point) has a zero normal, not NaN
    flat = joints.clone()
    flat[:, [5, 17]] = flat[:, :1]
    assert torch.equal(skeleton.palm_normal_of(flat.permute(2, 1, 0)), torch.zeros(3, 5,
                                                                                  dtype=flat.dtype))
