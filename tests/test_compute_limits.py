# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Limits from labelled poses (``limits_from_poses``) and ``tools/biomech/compute_limits.py``."""
import json

import numpy as np
import pytest
import torch

from semihand_mmpose.biomech import BiomechanicalCorrector, limits, skeleton
from semihand_mmpose.datasets.hand3d_format import hand_annotation, write_annotations
from semihand_mmpose.datasets.synthetic import hand_sampler
from tools.biomech import compute_limits


def _hands(n, seed=0):
    rng = np.random.default_rng(seed)
    dist = hand_sampler.PoseDistribution(curl=(0.0, 0.8))
    return np.stack([hand_sampler.sample_camera_pose(rng, dist, hand_sampler.sample_hand_joints(
        rng, dist), 128)[0] for _ in range(n)])


def _within(corrector, joints, tol=1e-9):
    joints = torch.as_tensor(joints)
    ratio = skeleton.bone_lengths(joints) / skeleton.reference_length(joints)[:, None]
    lim = corrector.bone_limits
    ok = (ratio >= lim[:, 0] - tol) & (ratio <= lim[:, 1] + tol)
    _, _, _, flex, abd = skeleton.inverse_kinematics(joints)
    a = corrector.angle_limits
    ok_angles = ((flex >= a[..., 0] - tol) & (flex <= a[..., 1] + tol) & (abd >= a[..., 2] - tol)
                 & (abd <= a[..., 3] + tol))
    return ok.all(1) & ok_angles.flatten(1).all(1)


def test_bone_ratios_are_percentiles_of_the_data():
    joints = _hands(200)
    table = limits.limits_from_poses(joints, percentiles=(5.0, 95.0))
    # by hand: each bone's length over wrist -> middle MCP, bones in skeleton.BONES order
    lengths = np.stack([np.linalg.norm(joints[:, c] - joints[:, p], axis=-1)
                        for p, c in skeleton.BONES], 1)
    ratios = lengths / np.linalg.norm(joints[:, 9] - joints[:, 0], axis=-1)[:, None]
    np.testing.assert_allclose(table['bone_ratio'][:, 0], np.percentile(ratios, 5, axis=0))
    np.testing.assert_allclose(table['bone_ratio'][:, 1], np.percentile(ratios, 95, axis=0))
    assert table['angle_deg'].shape == (5, 3, 4)
    # the reference bone has ratio 1 in every hand
    np.testing.assert_allclose(table['bone_ratio'][8], [1.0, 1.0])


def test_full_range_keeps_every_hand_and_narrower_range_corrects():
    joints = _hands(120, seed=1)
    full = BiomechanicalCorrector(**_tables(limits.limits_from_poses(joints, percentiles=(0, 100))))
    assert bool(_within(full, joints).all())
    out, disp = full(torch.as_tensor(joints))
    torch.testing.assert_close(out, torch.as_tensor(joints), atol=1e-8, rtol=0)
    # every bound of the full table is met by some hand (tight, not padded)
    lengths = skeleton.bone_lengths(torch.as_tensor(joints)) / skeleton.reference_length(
        torch.as_tensor(joints))[:, None]
    torch.testing.assert_close(lengths.min(0).values, full.bone_limits[:, 0])
    torch.testing.assert_close(lengths.max(0).values, full.bone_limits[:, 1])

    narrow = BiomechanicalCorrector(**_tables(limits.limits_from_poses(joints, percentiles=(10,
                                                                                           90))))
    inside = _within(narrow, joints)
    assert 0 < int(inside.sum()) < len(joints)
    out, disp = narrow(torch.as_tensor(joints))
    assert float(disp[~inside].max(1).values.min()) > 0  # every outlier moved
    assert float(disp[inside].max()) < 1e-9  # every inlier kept
    assert bool(_within(narrow, out, tol=1e-6).all())


def test_margin_widens_each_range():
    joints = _hands(50, seed=2)
    plain = limits.limits_from_poses(joints)
    wide = limits.limits_from_poses(joints, margin=0.1)
    width = plain['bone_ratio'][:, 1] - plain['bone_ratio'][:, 0]
    np.testing.assert_allclose(wide['bone_ratio'][:, 0], plain['bone_ratio'][:, 0] - 0.1 * width)
    np.testing.assert_allclose(wide['bone_ratio'][:, 1], plain['bone_ratio'][:, 1] + 0.1 * width)


def test_left_hands_give_the_right_hands_angles():
    joints = _hands(40, seed=4)
    mirrored = joints * np.array([-1.0, 1.0, 1.0])
    right = limits.limits_from_poses(joints)
    left = limits.limits_from_poses(mirrored, is_left=np.ones(len(joints), bool))
    np.testing.assert_allclose(left['angle_deg'], right['angle_deg'], atol=1e-9)
    np.testing.assert_allclose(left['bone_ratio'], right['bone_ratio'], atol=1e-12)


def test_bad_poses_are_refused():
    joints = _hands(3)
    joints[1, 9] = joints[1, 0]
    with pytest.raises(ValueError, match=r'zero-length reference bone, e.g. rows \[1\]'):
        limits.limits_from_poses(joints)
    with pytest.raises(ValueError, match='percentiles'):
        limits.limits_from_poses(_hands(3), percentiles=(60, 40))


def _tables(table):
    return dict(bone_ratio_limits=table['bone_ratio'], angle_limits_deg=table['angle_deg'])


def _write(path, joints, sides=None):
    anns = []
    for i, pose in enumerate(joints):
        extra = dict(hand_side=sides[i]) if sides is not None else {}
        anns.append(hand_annotation(i, i, [0, 0, 10, 10], np.zeros((21, 2)), np.full(21, 2),
                                    pose, **extra))
    images = [dict(id=i, file_name=f'{i}.png', width=128, height=128) for i in range(len(joints))]
    write_annotations(str(path), images, anns, info=dict(description='test'))


def test_tool_writes_a_table_the_corrector_loads(tmp_path, capsys):
    joints = _hands(60, seed=5)
    _write(tmp_path / 'a.json', joints[:30])
    _write(tmp_path / 'b.json', joints[30:])
    out = str(tmp_path / 'limits.npz')
    compute_limits.main([str(tmp_path / 'a.json'), str(tmp_path / 'b.json'), out,
                         '--percentiles', '2', '98'])
    assert '60 hands from 2 file(s)' in capsys.readouterr().out
    expected = limits.limits_from_poses(joints, percentiles=(2, 98))
    corrector = BiomechanicalCorrector(limits_file=out)
    np.testing.assert_allclose(corrector.bone_limits.numpy(), expected['bone_ratio'])
    np.testing.assert_allclose(np.rad2deg(corrector.angle_limits.numpy()), expected['angle_deg'])

    compute_limits.main([str(tmp_path / 'a.json'), out, '--angles', 'default'])
    np.testing.assert_allclose(limits.load_limits(out)['angle_deg'], limits.ANGLE_LIMITS_DEG)


def test_tool_names_the_file_and_field(tmp_path):
    path = tmp_path / 'bad.json'
    _write(path, _hands(2))
    coco = json.loads(path.read_text())
    coco['annotations'][1]['keypoints_3d'] = [[0.0, 0.0, 0.0]] * 20
    path.write_text(json.dumps(coco))
    with pytest.raises(ValueError, match=r'bad.json: annotations\[1\] field "keypoints_3d" must be '
                                         r'21 finite'):
        compute_limits.main([str(path), str(tmp_path / 'x.npz')])
    for ann in coco['annotations']:
        del ann['keypoints_3d']
    path.write_text(json.dumps(coco))
    with pytest.raises(ValueError, match='no annotation has a complete "keypoints_3d"'):
        compute_limits.main([str(path), str(tmp_path / 'x.npz')])
    with pytest.raises(FileNotFoundError, match='missing.json'):
        compute_limits.main([str(tmp_path / 'missing.json'), str(tmp_path / 'x.npz')])
    _write(path, _hands(1), sides=['up'])
    with pytest.raises(ValueError, match=r"field \"hand_side\" must be one of \('left', 'right'\)"):
        compute_limits.main([str(path), str(tmp_path / 'x.npz')])
