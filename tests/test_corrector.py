# Copyright (c) semihand_mmpose authors. All rights reserved.
import numpy as np
import pytest
import torch

from semihand_mmpose.biomech import BiomechanicalCorrector, corrector, limits, skeleton
from semihand_mmpose.datasets.synthetic import hand_sampler


def _hands(n, seed=0):
    rng = np.random.default_rng(seed)
    dist = hand_sampler.PoseDistribution(curl=(0.0, 1.0))
    hands = []
    for _ in range(n):
        joints = hand_sampler.sample_hand_joints(rng, dist)
        cam, _ = hand_sampler.sample_camera_pose(rng, dist, joints, 128)
        hands.append(cam)
    return torch.as_tensor(np.stack(hands))


def _feasible(corrector, joints, tol=1e-6):
    ratio = skeleton.bone_lengths(joints) / skeleton.reference_length(joints)[:, None]
    lim = corrector.bone_limits
    ok_len = bool(((ratio >= lim[:, 0] - tol) & (ratio <= lim[:, 1] + tol)).all())
    _, _, _, flex, abd = skeleton.inverse_kinematics(joints)
    a = corrector.angle_limits
    ok_ang = bool(((flex >= a[..., 0] - tol) & (flex <= a[..., 1] + tol) &
                   (abd >= a[..., 2] - tol) & (abd <= a[..., 3] + tol)).all())
    return ok_len and ok_ang


def test_feasible_poses_are_kept():
    corrector = BiomechanicalCorrector()
    joints = _hands(64)
    assert _feasible(corrector, joints)
    out, disp = corrector(joints)
    torch.testing.assert_close(out, joints, atol=1e-8, rtol=0)
    assert float(disp.max()) < 1e-9


def test_infeasible_poses_are_made_feasible_and_move_where_wrong():
    corrector = BiomechanicalCorrector()
    joints = _hands(8, seed=1)
    bad = joints.clone()
    bad[:, 8] = bad[:, 7] + (bad[:, 7] - bad[:, 6]) * 3.0   # index distal phalanx far too long
    # bend the middle finger's DIP backwards by 60 degrees
    rb, fr, ln, flex, abd = skeleton.inverse_kinematics(bad)
    flex[:, 2, 2] = -np.deg2rad(60.0)
    bad = skeleton.forward_kinematics(bad[:, 0], rb, fr, ln, flex, abd)
    assert not _feasible(corrector, bad)
    out, disp = corrector(bad)
    assert _feasible(corrector, out)
    assert bool((disp[:, 8] > 0.05).all()) and bool((disp[:, 12] > 0.05).all())
    untouched = [j for j in range(21) if j not in (8, 12)]
    assert float(disp[:, untouched].max()) < 1e-9
    # the displacement is each joint's move in units of the input's reference bone
    by_hand = (out - bad).norm(dim=-1) / skeleton.reference_length(bad)[:, None]
    torch.testing.assert_close(disp, by_hand, atol=1e-12, rtol=0)
    # and the correction is deterministic
    torch.testing.assert_close(corrector(bad)[0], out, atol=0, rtol=0)


def test_degenerate_poses_give_a_safe_result():
    corrector = BiomechanicalCorrector()
    joints = _hands(3, seed=2)
    joints[0, 5] = float('nan')                   # non-finite
    joints[1, 9] = joints[1, 0]                   # zero-length reference bone
    joints[2, 6] = joints[2, 5]                   # zero-length finger bone
    out, disp = corrector(joints)
    assert bool(torch.isfinite(out).all())
    assert bool(torch.isinf(disp[0]).all()) and bool(torch.isinf(disp[1]).all())
    # the unusable poses come back as they were, the non-finite coordinate as 0
    torch.testing.assert_close(out[0], torch.nan_to_num(joints[0]), atol=0, rtol=0)
    torch.testing.assert_close(out[1], joints[1], atol=0, rtol=0)
    assert bool(torch.isfinite(disp[2]).all()) and _feasible(corrector, out[2:])


def test_poses_of_another_shape_are_refused():
    with pytest.raises(ValueError, match=r'\(B, 21, 3\), got \(2, 20, 3\)'):
        BiomechanicalCorrector()(torch.zeros(2, 20, 3))


def test_gradients_through_the_corrector_are_finite():
    """Unchanged joints have zero displacement, where a square root's gradient is infinite: the
    corrector must still give finite gradients (a feasible joint passes its gradient through)."""
    joints = _hands(8, seed=4)
    joints[:4] += torch.as_tensor(np.random.default_rng(0).normal(0, 6.0, (4, 21, 3)))
    joints.requires_grad_()
    out, disp = BiomechanicalCorrector()(joints, torch.arange(8) % 2 == 0)
    out_grad, = torch.autograd.grad(out.sum(), joints, retain_graph=True)
    disp_grad, = torch.autograd.grad(disp.sum(), joints)
    assert bool(torch.isfinite(out_grad).all()) and bool(torch.isfinite(disp_grad).all())
    # a feasible right hand (5 and 7; even ones are corrected as left hands) comes back
    # unchanged: the gradient of ``out.sum()`` is one per coordinate
    torch.testing.assert_close(out_grad[5::2], torch.ones_like(out_grad[5::2]), atol=1e-6,
                               rtol=0)


def test_a_batch_split_across_threads_gives_the_same_result():
    """Chunks corrected in parallel threads give what one call gives, left hands and an unusable
    pose included."""
    joints = _hands(12, seed=5)
    joints += torch.as_tensor(np.random.default_rng(1).normal(0, 6.0, joints.shape))
    joints[7, 3] = float('nan')
    is_left = torch.arange(12) % 3 == 0
    whole = BiomechanicalCorrector(threads=1)(joints, is_left)
    split = BiomechanicalCorrector(threads=3, min_chunk=4)
    assert split._num_chunks(joints) == 3 and split._num_chunks(joints[:8]) == 2
    for ours, reference in zip(split(joints, is_left), whole):
        torch.testing.assert_close(ours, reference, atol=1e-12, rtol=0, equal_nan=True)


def test_coincident_palm_joints_do_not_produce_nan():
    joints = _hands(1, seed=3)
    joints[0, 5] = joints[0, 0]
    joints[0, 17] = joints[0, 0]
    out, disp = BiomechanicalCorrector()(joints)
    assert bool(torch.isfinite(out).all()) and bool(torch.isfinite(disp).all())


def test_interval_penalty_is_zero_when_feasible_and_positive_otherwise():
    corrector = BiomechanicalCorrector()
    joints = _hands(4).requires_grad_(True)
    assert float(corrector.interval_penalty(joints).detach().abs().max()) == 0.0
    stretched = joints.detach().clone()
    stretched[:, 4] = stretched[:, 3] + (stretched[:, 4] - stretched[:, 3]) * 3.0
    stretched.requires_grad_(True)
    penalty = corrector.interval_penalty(stretched)
    assert bool((penalty > 0).all())
    penalty.sum().backward()
    assert float(stretched.grad[:, 4].abs().sum()) > 0


def test_limits_file_round_trip(tmp_path):
    path = str(tmp_path / 'limits.npz')
    bone = limits.BONE_RATIO_LIMITS * 1.01
    limits.save_limits(path, bone, limits.ANGLE_LIMITS_DEG)
    corrector = BiomechanicalCorrector(limits_file=path)
    np.testing.assert_allclose(corrector.bone_limits.numpy(), bone)
    np.save(str(tmp_path / 'bad.npy'), np.zeros(3))
    with pytest.raises(ValueError, match='shape'):
        limits.save_limits(str(tmp_path / 'bad.npz'), np.zeros((3, 2)), limits.ANGLE_LIMITS_DEG)
        BiomechanicalCorrector(limits_file=str(tmp_path / 'bad.npz'))


def test_compiled_corrector_matches_eager():
    """``compile=True`` (torch.compile, dynamic shapes) gives the eager result at two sizes, in
    one graph (no break at the degenerate-palm fallback, which a batch here needs)."""
    from torch._dynamo.utils import counters
    joints = _hands(48, seed=3)
    noisy = joints + torch.as_tensor(np.random.default_rng(3).normal(0.0, 8.0, joints.shape))
    # hand 20: index and little MCP on the wrist, so its palm normal is zero
    noisy[20, [5, 17]] = noisy[20, 0].clone()
    eager = BiomechanicalCorrector()
    compiled = BiomechanicalCorrector(compile=True)
    counters.clear()
    for batch in (noisy, noisy[:17]):
        out, disp = compiled(batch)
        ref, ref_disp = eager(batch)
        torch.testing.assert_close(out, ref, atol=1e-9, rtol=0)
        torch.testing.assert_close(disp, ref_disp, atol=1e-9, rtol=0)
    assert dict(counters['graph_break']) == {}
    assert not _feasible(eager, noisy) and _feasible(eager, out)


def _awkward_batch(seed):
    """Noisy hands with a non-finite pose, a zero-length reference bone and a degenerate palm."""
    joints = _hands(40, seed=seed)
    noisy = joints + torch.as_tensor(np.random.default_rng(seed).normal(0.0, 8.0, joints.shape))
    noisy[3, 5] = float('nan')
    noisy[9, 9] = noisy[9, 0].clone()
    noisy[20, [5, 17]] = noisy[20, 0].clone()
    return noisy


def test_scripted_correction_matches_python_to_the_bit():
    """By default CPU batches run through TorchScript: the same operations as in Python, so the
    same numbers, for left hands, float32 and unusable poses too."""
    assert corrector.scripted_correct_poses() is not None
    noisy = _awkward_batch(6)
    is_left = torch.arange(len(noisy)) % 2 == 0
    for batch in (noisy, noisy.float()):
        for side in (None, is_left):
            ours = BiomechanicalCorrector()(batch, side)
            reference = BiomechanicalCorrector(script=False)(batch, side)
            for a, b in zip(ours, reference):
                assert a.dtype == batch.dtype and torch.equal(a, b)
    # and the test is not vacuous: some poses moved, the unusable ones are marked
    _, displacement = ours
    assert float(displacement[torch.isfinite(displacement)].max()) > 0.05
    assert bool(torch.isinf(displacement[[3, 9]]).all())


def test_without_torchscript_the_corrector_runs_in_python(monkeypatch):
    """A torch without TorchScript (deprecated) leaves the corrector working, in Python."""

    def no_torchscript(fn):
        raise RuntimeError('TorchScript is not available')

    monkeypatch.setattr(corrector, '_SCRIPTED', {})
    monkeypatch.setattr(torch.jit, 'script', no_torchscript)
    assert corrector.scripted_correct_poses() is None
    noisy = _awkward_batch(7)
    for a, b in zip(BiomechanicalCorrector()(noisy), BiomechanicalCorrector(script=False)(noisy)):
        assert torch.equal(a, b)


def test_float32_poses_are_corrected_in_float32_like_float64():
    corrector = BiomechanicalCorrector()
    joints = _hands(32, seed=4)
    noisy = joints + torch.as_tensor(np.random.default_rng(4).normal(0.0, 8.0, joints.shape))
    ref, ref_disp = corrector(noisy)
    out, disp = corrector(noisy.float())
    assert out.dtype == torch.float32 and disp.dtype == torch.float32
    # mm-sized coordinates (~500 mm from the camera): float32 keeps about 1e-4 mm
    torch.testing.assert_close(out.double(), ref, atol=2e-3, rtol=0)
    torch.testing.assert_close(disp.double(), ref_disp, atol=1e-4, rtol=0)
    assert _feasible(corrector, out.double(), tol=1e-4)


def test_left_hands_are_corrected_as_mirrored_right_hands():
    """A left hand (the mirror image of a feasible right hand) is feasible: with its side given it
    is kept; taken for a right hand its palm normal, and so every flexion, is reversed, and the
    corrector would bend it. An infeasible left hand gets the mirror of the right hand's
    correction."""
    corrector = BiomechanicalCorrector()
    right = _hands(16, seed=5)
    mirror = torch.tensor([-1.0, 1.0, 1.0], dtype=right.dtype)
    left = right * mirror
    is_left = torch.ones(len(left), dtype=torch.bool)
    out, disp = corrector(left, is_left)
    torch.testing.assert_close(out, left, atol=1e-8, rtol=0)
    assert float(disp.max()) < 1e-9
    _, disp_as_right = corrector(left)
    assert float(disp_as_right.max()) > 0.1

    bent = right.clone()
    bent[:, 8] = bent[:, 7] + (bent[:, 7] - bent[:, 6])  # index tip straight on: fine
    bent[:, 8, 2] -= 40.0  # and far out of the palm: hyper-extended
    fixed_right, d_right = corrector(bent)
    fixed_left, d_left = corrector(bent * mirror, is_left)
    torch.testing.assert_close(fixed_left, fixed_right * mirror, atol=1e-9, rtol=0)
    torch.testing.assert_close(d_left, d_right, atol=1e-9, rtol=0)
    assert float(d_right[:, 8].min()) > 0
