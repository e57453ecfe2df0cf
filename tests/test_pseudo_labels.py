# Copyright (c) semihand_mmpose authors. All rights reserved.
import numpy as np
import pytest
import torch

from semihand_mmpose.datasets.synthetic import generator
from semihand_mmpose.datasets.transforms import FixedBBoxTransform, HandAffine
from semihand_mmpose.geometry import apply_affine
from semihand_mmpose.models.semi import (PseudoLabeller, rasterize_hand_mask, select,
                                         select_joints, unusable_share)


def _views(sample, transforms):
    """Crop matrices and the exact keypoints (crop px) of several views of one sample."""
    uv = sample['uv'].astype(np.float32)
    mats, kpts = [], []
    for t in transforms:
        r = dict(img=sample['image'], keypoints=uv[None], bbox_center=((uv.min(0) + uv.max(0)) /
                 2)[None], bbox_scale=np.array([[100.0, 100.0]], np.float32))
        if t is not None:
            r = t.transform(r)
        r = HandAffine((64, 64)).transform(r)
        mats.append(r['crop_matrix'])
        kpts.append(r['transformed_keypoints'][0])
    return torch.as_tensor(np.stack(mats)), torch.as_tensor(np.stack(kpts))


VIEWS = [None, FixedBBoxTransform(rotation=25.0, scale=0.9),
         FixedBBoxTransform(rotation=-25.0, scale=1.1, shift=(0.05, -0.05))]


def _inputs(n=4):
    samples = [generator.generate_sample('source', 3, i, 128) for i in range(n)]
    mats, uvs = zip(*[_views(s, VIEWS) for s in samples])
    mats = torch.stack(mats, 1).double()  # (V, B, 3, 3)
    uvs = torch.stack(uvs, 1).double()
    z = torch.stack([torch.as_tensor((s['joints_cam'][:, 2] - s['joints_cam'][0, 2]) /
                                     np.linalg.norm(s['joints_cam'][9] - s['joints_cam'][0]))
                     for s in samples]).double()
    K = torch.as_tensor(np.stack([s['K'] for s in samples])).double()
    gt = torch.as_tensor(np.stack([s['uv'] for s in samples])).double()
    return uvs, z.expand(3, -1, -1), mats, K, gt


def test_exact_views_give_the_exact_label_with_full_confidence():
    uvs, z, mats, K, gt = _inputs()
    out = PseudoLabeller()(uvs, z, mats, K, 64.0)
    torch.testing.assert_close(out['uv'], gt, atol=1e-3, rtol=0)
    torch.testing.assert_close(out['views_uv'][1], gt, atol=1e-3, rtol=0)
    assert float(out['confidence'].min()) > 0.99


def test_disagreeing_views_lower_that_joints_confidence():
    uvs, z, mats, K, gt = _inputs()
    uvs = uvs.clone()
    uvs[1, :, 8] += 6.0  # one view puts the index tip 6 px off
    out = PseudoLabeller(corrector=None)(uvs, z, mats, K, 64.0)
    conf = out['confidence']
    assert float(conf[:, 8].max()) < 0.8 and float(conf[:, [0, 4, 12]].min()) > 0.99


@pytest.mark.parametrize('scale', ['sigma', 'sigma_z', 'tau', 'min_depth'])
def test_a_zero_scale_is_refused_rather_than_giving_nan_confidence(scale):
    """With sigma 0, views that agree exactly would get a confidence of exp(-0/0) = NaN."""
    with pytest.raises(ValueError, match=f'PseudoLabeller.{scale} must be > 0, got 0.0'):
        PseudoLabeller(corrector=None, **{scale: 0.0})
    uvs, z, mats, K, _ = _inputs()  # the smallest positive scale still gives numbers
    out = PseudoLabeller(corrector=None, **{scale: 1e-6})(uvs, z, mats, K, 64.0)
    assert torch.isfinite(out['confidence']).all()


def test_infeasible_mean_is_corrected_and_less_trusted():
    uvs, z, mats, K, gt = _inputs()
    z = z.clone()
    z[:, :, 12] += 1.5  # middle fingertip far behind: an impossible bone
    out = PseudoLabeller()(uvs, z, mats, K, 64.0)
    assert float(out['confidence'][:, 12].max()) < 0.5
    plain = PseudoLabeller(corrector=None)(uvs, z, mats, K, 64.0)
    assert float(plain['confidence'][:, 12].min()) > 0.99


def test_a_degenerate_hand_keeps_its_mean_with_zero_confidence():
    """Every view puts all joints of hand 1 on one point (no bone has a length): the corrector
    cannot use it, so its label is the views' mean, finite, with confidence 0 (left out by any
    selection), and the other hands are labelled as without it."""
    uvs, z, mats, K, gt = _inputs()
    uvs, z = uvs.clone(), z.clone()
    uvs[:, 1] = 32.0
    z[:, 1] = 0.0
    out = PseudoLabeller()(uvs, z, mats, K, 64.0)
    assert all(bool(torch.isfinite(v).all()) for v in out.values())
    assert float(out['confidence'][1].max()) == 0.0
    mean = out['views_uv'][:, 1].mean(0)
    torch.testing.assert_close(out['uv'][1], mean, atol=1e-9, rtol=0)
    torch.testing.assert_close(out['z_rel'][1], torch.zeros(21, dtype=z.dtype), atol=0, rtol=0)
    others = [0, 2, 3]
    torch.testing.assert_close(out['uv'][others], gt[others], atol=1e-3, rtol=0)
    assert float(out['confidence'][others].min()) > 0.99


def test_a_hand_lifted_to_the_camera_keeps_its_mean_with_zero_confidence():
    """Every view puts hand 1's middle MCP on its wrist's pixel, one reference bone deeper: the
    reference bone points along the view ray, the lift puts the root at depth 0 and half the hand
    behind the camera, and projected back, its correction would land off the image (the wrist at
    the camera centre, the joints behind it mirrored). The hand keeps the views' mean, with
    confidence 0; the other hands are labelled as without it."""
    uvs, z, mats, K, gt = _inputs()
    uvs, z = uvs.clone(), z.clone()
    uvs[:, 1, 9] = uvs[:, 1, 0]
    z[:, 1, 9] = z[:, 1, 0] + 1.0
    out = PseudoLabeller()(uvs, z, mats, K, 64.0)
    mean = out['views_uv'][:, 1].mean(0)
    torch.testing.assert_close(out['uv'][1], mean, atol=1e-9, rtol=0)
    torch.testing.assert_close(out['corrected_uv'][1], mean, atol=1e-9, rtol=0)
    torch.testing.assert_close(out['z_rel'][1], z[0, 1], atol=1e-12, rtol=0)
    assert float(out['confidence'][1].max()) == 0.0
    others = [0, 2, 3]
    torch.testing.assert_close(out['uv'][others], gt[others], atol=1e-3, rtol=0)
    assert float(out['confidence'][others].min()) > 0.99
    # so is a hand nearer than min_depth: these hands' nearest joints lie 2.39, 3.54, 4.00 and
    # 3.39 reference bones in front of the camera
    near = PseudoLabeller(min_depth=3.0)(*_inputs()[:4], 64.0)
    assert float(near['confidence'][0].max()) == 0.0
    assert float(near['confidence'][1:].min()) > 0.99


@pytest.mark.parametrize('focal_scale, unusable', [(0.1, [0, 1, 2, 3]), (0.25, [0, 1, 2]),
                                                     (0.5, []), (10.0, [])])
def test_a_focal_length_far_too_short_leaves_the_hands_unusable(focal_scale, unusable):
    """What SemiHandHook's ``warn_zero_confidence`` looks for. The lift's root depth grows with
    the focal length while the relative depths stay in reference bones, so a focal length far too
    short brings each hand to the camera: its nearest joints (2.39 to 4.00 bones away with the
    true ``K``) come within ``min_depth`` or go behind it, and the hand gets confidence 0. Half or
    ten times the focal length leaves every hand usable (the 3D it bends costs some joints a
    little feasibility)."""
    uvs, z, mats, K, _ = _inputs()
    K = K.clone()
    K[:, :2, :2] *= focal_scale
    confidence = PseudoLabeller()(uvs, z, mats, K, 64.0)['confidence']
    assert [i for i in range(4) if float(confidence[i].max()) == 0.0] == unusable
    usable = [i for i in range(4) if i not in unusable]
    if usable:
        assert float(confidence[usable].mean(-1).min()) > 0.8


def test_unusable_share_counts_hands_with_every_joint_at_zero():
    """A hand is unusable only when every joint is at 0; one joint at 0 (a fingertip the views
    disagree on) leaves it usable."""
    conf = torch.tensor([[0.0, 0.0, 0.0], [0.5, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    assert float(unusable_share(conf)) == 0.5
    assert float(unusable_share(conf[1:2])) == 0.0
    assert unusable_share(conf).dtype == torch.float64


def test_selection_modes():
    conf = torch.tensor([[0.9] * 21, [0.2] * 21, [0.6] * 21, [0.5] * 21])
    assert select(conf, 'threshold', 0.55).tolist() == [True, False, True, False]
    assert select(conf, 'top_fraction', 0.5).tolist() == [True, False, True, False]
    assert select(conf, 'all').all()
    with pytest.raises(ValueError, match='selection mode'):
        select(conf, 'best')


def test_joint_selection_ranks_each_joint_among_the_same_joint():
    conf = torch.tensor([[0.9, 0.3, 0.8],
                         [0.5, 0.2, 0.9],
                         [0.1, 0.4, 0.7],
                         [0.7, 0.1, 0.6]])
    # each column keeps its own best half: joint 1's best (0.4, 0.3) stay, joint 2's 0.7 goes
    assert select_joints(conf, 'top_fraction', 0.5).tolist() == [[True, True, True],
                                                                 [False, False, True],
                                                                 [False, True, False],
                                                                 [True, False, False]]
    assert select_joints(conf, 'threshold', 0.6).tolist() == [[True, False, True],
                                                              [False, False, True],
                                                              [False, False, True],
                                                              [True, False, True]]
    assert select_joints(conf, 'all').all()
    assert select_joints(conf[:0], 'top_fraction', 0.5).shape == (0, 3)
    with pytest.raises(ValueError, match='joint selection mode'):
        select_joints(conf, 'best')


def test_rasterised_mask_covers_the_pose_and_carries_gradients():
    s = generator.generate_sample('source', 0, 2, 64)
    uv = torch.as_tensor(s['uv'][None]).float().requires_grad_(True)
    mask = rasterize_hand_mask(uv, (64, 64))
    assert mask.shape == (1, 1, 64, 64)
    values = mask.detach()
    assert float(values.min()) >= 0.0 and float(values.max()) <= 1.0
    for u, v in s['uv']:
        assert float(values[0, 0, int(round(v)), int(round(u))]) > 0.5
    # it agrees with the rendered mask far better than chance
    hard = (values[0, 0] > 0.5).numpy()
    iou = (hard & (s['mask'] > 0)).sum() / (hard | (s['mask'] > 0)).sum()
    assert iou > 0.5
    mask.sum().backward()
    assert float(uv.grad.abs().sum()) > 0


def test_depth_disagreement_counts_only_with_sigma_z():
    uvs, z, mats, K, gt = _inputs()
    z = z.clone()
    z[1, :, 8] += 0.3  # one view puts the index tip 0.3 bones deeper; the pixels agree
    plain = PseudoLabeller(corrector=None, sigma=0.1)(uvs, z, mats, K, 64.0)
    assert float(plain['confidence'].min()) > 0.99  # default: depth spread left out
    with_z = PseudoLabeller(corrector=None, sigma=0.1, sigma_z=0.1)(uvs, z, mats, K, 64.0)
    # spread of (0, 0.3, 0) around its mean 0.1: variance 0.02, exp(-0.02 / 0.1^2) = exp(-2)
    torch.testing.assert_close(with_z['confidence'][:, 8], torch.full((4, ), np.exp(-2.0),
                               dtype=torch.float64), atol=1e-4, rtol=0)
    assert float(with_z['confidence'][:, [0, 4, 12]].min()) > 0.99


def test_left_hands_are_corrected_as_left_hands():
    """A left hand's exact views give full confidence when its side is passed; taken for a right
    hand the corrector would bend it and distrust it."""
    samples = [generator.generate_sample('source', 3, i, 128) for i in range(4)]
    joints = torch.as_tensor(np.stack([s['joints_cam'] for s in samples])).double()
    left = joints * joints.new_tensor([-1.0, 1.0, 1.0])  # mirrored through the optical axis
    K = torch.as_tensor(np.stack([s['K'] for s in samples])).double()
    proj = left @ K.transpose(-1, -2)
    uv = proj[..., :2] / proj[..., 2:]
    z = (left[..., 2] - left[:, :1, 2]) / (left[:, 9] - left[:, 0]).norm(dim=-1)[:, None]
    mats = torch.eye(3, dtype=torch.float64).expand(1, 4, 3, 3)
    out = PseudoLabeller()(uv[None], z[None], mats, K, 64.0, torch.ones(4, dtype=torch.bool))
    assert float(out['confidence'].min()) > 0.99
    torch.testing.assert_close(out['uv'], uv, atol=1e-6, rtol=0)
    as_right = PseudoLabeller()(uv[None], z[None], mats, K, 64.0)
    assert float(as_right['confidence'].min()) < 0.5
