# Copyright (c) semihand_mmpose authors. All rights reserved.
import numpy as np
import pytest

from semihand_mmpose.evaluation import Hand3DMetric


def _sample(pred3d, gt3d, name='test', valid=None, pred2d=None, gt2d=None):
    valid = np.ones(21) if valid is None else valid
    gt2d = np.zeros((21, 2)) if gt2d is None else gt2d
    pred2d = gt2d if pred2d is None else pred2d
    return dict(
        dataset_name=name,
        gt_instances=dict(keypoints_3d=gt3d[None], keypoints_3d_visible=valid[None],
                          keypoints=gt2d[None], keypoints_visible=np.ones((1, 21)),
                          keypoints_flag=np.full((1, 21), 2.0)),
        pred_instances=dict(keypoints_3d=pred3d[None], keypoints=pred2d[None]))


def _gt():
    gt = np.zeros((21, 3))
    gt[9] = [0.0, 90.0, 0.0]  # reference bone 90 mm
    gt[1:9] = np.arange(8)[:, None] * [10.0, 0.0, 0.0]
    return gt + [5.0, 5.0, 500.0]


def test_metric_matches_a_hand_computation():
    gt = _gt()
    # prediction: the same hand at another depth and half the size, then joint 4 moved 29 mm
    pred = (gt - gt[0]) * 0.5 + [0.0, 0.0, 800.0]
    pred[4] += np.array([14.5, 0.0, 0.0])  # 14.5 mm at half scale = 29 mm after rescaling
    metric = Hand3DMetric(num_thresholds=4, pck_thresholds=(25.0, ))
    metric.process([], [_sample(pred, gt)])
    res = metric.compute_metrics(metric.results)
    # 20 joints exact, joint 4 at 29 mm. Thresholds 20, 30, 40, 50: joint 4's PCK curve is
    # (0, 1, 1, 1), trapezoid area / 30 = (0.5*10 + 10 + 10) / 30 = 25/30
    assert res['EPE'] == pytest.approx(29.0 / 21)
    assert res['AUC'] == pytest.approx((20 + 25 / 30) / 21)
    assert res['PCK@25'] == pytest.approx(20 / 21)
    assert res['EPE_median'] == pytest.approx(29.0 / 21)


def test_no_rescaling_when_scale_is_none():
    gt = _gt()
    pred = (gt - gt[0]) * 0.5 + gt[0]
    metric = Hand3DMetric(scale='none')
    metric.process([], [_sample(pred, gt)])
    res = metric.compute_metrics(metric.results)
    expected = np.mean(np.linalg.norm((gt - gt[0]) * 0.5, axis=1))
    assert res['EPE'] == pytest.approx(expected)


def test_centroid_scale_alignment_on_a_subset_and_min_valid():
    gt = _gt()
    tips = [4, 8, 12, 16, 20]
    pred = (gt - gt[tips].mean(0)) * 3.0 + [100.0, 0.0, 0.0]
    valid = np.zeros(21)
    valid[tips] = 1
    one_tip = np.zeros(21)
    one_tip[4] = 1
    metric = Hand3DMetric(scale='none', alignment='centroid_scale', joint_subset=tips,
                          min_valid_joints=2, auc_range=(0.0, 100.0))
    metric.process([], [_sample(pred, gt, valid=valid),
                        _sample(pred + 500.0, gt, valid=one_tip)])  # dropped: one valid tip
    res = metric.compute_metrics(metric.results)
    assert res['EPE'] == pytest.approx(0.0, abs=1e-9) and res['AUC'] == pytest.approx(1.0)


def test_groups_are_reported_apart_and_2d_errors():
    gt = _gt()
    gt2d = np.zeros((21, 2))
    metric = Hand3DMetric(pck2d_thresholds=(4.0, ))
    metric.process([], [_sample(gt, gt, 'a', gt2d=gt2d, pred2d=gt2d + [3.0, 4.0]),
                        _sample(gt + [0, 0, 0.0], gt, 'b', gt2d=gt2d)])
    res = metric.compute_metrics(metric.results)
    assert res['a/EPE2D'] == pytest.approx(5.0) and res['a/PCK2D@4'] == 0.0
    assert res['b/EPE2D'] == 0.0 and res['b/AUC'] == pytest.approx(1.0)


def test_bad_protocol_names_are_rejected():
    with pytest.raises(ValueError, match='alignment'):
        Hand3DMetric(alignment='procrustes')
