# Copyright (c) semihand_mmpose authors. All rights reserved.
"""tools/analysis/analyze_errors_by_pose.py: per-hand errors and attributes against hand
computations, on dumps in the format of ``tools/test.py --dump``."""
import pickle

import numpy as np
import pytest

from dump_samples import dump_sample, write_dump
from semihand_mmpose.datasets.synthetic.hand_sampler import (PALM_TO_CAMERA, PoseDistribution,
                                                             build_hands, sample_hand_parameters)
from tools.analysis import analyze_errors_by_pose as tool


def _hands(curl: float, back: bool, n: int, rng) -> np.ndarray:
    """``n`` right hands of one curl level, 400 mm in front of the camera, palm or back to it."""
    dist = PoseDistribution(curl=(curl, curl), curl_jitter=0.0)
    palm = build_hands([sample_hand_parameters(rng, dist) for _ in range(n)])
    # PALM_TO_CAMERA turns the palm to the camera; a half turn about the camera's y axis shows
    # the back of the hand
    rot = (np.diag([-1.0, 1.0, -1.0]) if back else np.eye(3)) @ PALM_TO_CAMERA
    return palm @ rot.T + np.array([0.0, 0.0, 400.0])


def _sample(i, gt3d, pred3d, shift2d, hidden, name='synthetic_target'):
    gt2d = gt3d[:, :2] / gt3d[:, 2:] * 100.0 + 64.0
    flag = np.full(21, 2.0)
    flag[:hidden] = 1.0
    return dump_sample(i, gt3d, gt2d, pred3d, gt2d + shift2d, f'{i}.png', name, flag)


@pytest.fixture
def dumps(tmp_path):
    rng = np.random.default_rng(0)
    gt = np.concatenate([_hands(0.0, False, 4, rng), _hands(1.0, True, 4, rng)])
    # the little fingertip (joint 20) moved along z: neither the root nor the reference bone
    # (0 -> 9) moves, so the hand's mean 3D error is the move / 21, exactly
    def moved(mm):
        pred = gt.copy()
        pred[:, 20, 2] += np.asarray(mm, float)
        return pred + 5.0  # a translation, which the root alignment removes
    # A: 21 mm (1 mm per hand) on the open hands, 63 mm (3 mm) on the fists; B: 1 mm on all
    pred_a = moved([21.0] * 4 + [63.0] * 4)
    pred_b = moved([21.0] * 8)
    # B predicts hands 1.5 times too large: the metric's protocol scales them back by the bone
    pred_b = pred_b[:, :1] + 1.5 * (pred_b - pred_b[:, :1])
    paths = []
    for name, pred, shift in (('a', pred_a, (3.0, 4.0)), ('b', pred_b, (0.6, 0.8))):
        samples = [_sample(i, gt[i], pred[i], np.array(shift), hidden=i) for i in range(8)]
        samples.append(_sample(99, gt[0], pred[0], np.array(shift), 0, name='synthetic_source'))
        paths.append(write_dump(tmp_path / f'{name}.pkl', samples))
    return paths


def test_errors_and_attributes_match_hand_computations(dumps, tmp_path):
    out = tmp_path / 'errors.png'
    result = tool.main(dumps + ['--names', 'A', 'B', '--group', 'synthetic_target', '--bins', '2',
                                '--out', str(out)])
    assert result['hands'] == 8  # the source hand is left out
    assert result['models']['A']['epe3d_mm'] == pytest.approx(2.0)
    assert result['models']['B']['epe3d_mm'] == pytest.approx(1.0)
    assert result['models']['A']['epe2d_px'] == pytest.approx(5.0)
    assert result['models']['B']['epe2d_px'] == pytest.approx(1.0)
    # the open hands show their palms, the fists their backs: the view splits them, and the whole
    # gap (2 mm more per fist) is in the fists' bin, as it is in the curl's upper bin
    for attr in ('view', 'curl'):
        low, high = result['attributes'][attr]
        assert low['hands'] == high['hands'] == 4
        assert low['epe3d_mm'] == pytest.approx(dict(A=1.0, B=1.0))
        assert high['epe3d_mm'] == pytest.approx(dict(A=3.0, B=1.0))
        assert low['gap_share'] == pytest.approx(0.0) and high['gap_share'] == pytest.approx(1.0)
    view = result['attributes']['view']
    assert view[0]['hi'] < 30.0 and view[1]['lo'] > 150.0
    curl = result['attributes']['curl']
    assert curl[0]['hi'] < curl[1]['lo']
    # hand i has i of its 21 joints flagged hidden
    hidden = result['attributes']['hidden']
    assert [r['lo'] for r in hidden] == pytest.approx([0.0, 4 / 21])
    assert [r['hi'] for r in hidden] == pytest.approx([3 / 21, 7 / 21])
    assert out.stat().st_size > 0


def test_bad_dumps_are_named(dumps, tmp_path):
    with pytest.raises(ValueError, match=r"synthetic_source', 'synthetic_target'.*--group"):
        tool.main(dumps)
    with pytest.raises(ValueError, match="no test set 'target'"):
        tool.main(dumps + ['--group', 'target'])
    with open(dumps[1], 'rb') as f:
        fewer = pickle.load(f)[1:]
    short = tmp_path / 'short.pkl'
    with open(short, 'wb') as f:
        pickle.dump(fewer, f)
    with pytest.raises(ValueError, match='other hands than a .7 against 8'):
        tool.main([dumps[0], str(short), '--group', 'synthetic_target'])
    with open(dumps[0], 'rb') as f:
        part = pickle.load(f)
    part[2]['gt_instances']['keypoints_3d_visible'][0, 5:] = 0  # five joints labelled
    partly = tmp_path / 'partly.pkl'
    with open(partly, 'wb') as f:
        pickle.dump(part, f)
    with pytest.raises(ValueError, match=r'partly.pkl: sample 2 \(2.png\) has 16 joints without'):
        tool.main([str(partly), '--group', 'synthetic_target'])
    nopred = tmp_path / 'nopred.pkl'
    with open(nopred, 'wb') as f:
        pickle.dump([dict(id=0, gt_instances=dict(keypoints_3d=np.zeros((1, 21, 3)),
                                                  keypoints=np.zeros((1, 21, 2))),
                          pred_instances={})], f)
    with pytest.raises(KeyError, match=r"nopred.pkl: sample 0 .*pred_instances.keypoints_3d"):
        tool.main([str(nopred)])
