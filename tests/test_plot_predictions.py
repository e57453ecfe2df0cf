# Copyright (c) semihand_mmpose authors. All rights reserved.
"""tools/analysis/plot_predictions.py: which hands it draws, their errors against hand
computations, and the figure, on dumps in the format of ``tools/test.py --dump``."""
import pickle
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from dump_samples import dump_sample, write_dump
from semihand_mmpose.datasets.synthetic.hand_sampler import (PALM_TO_CAMERA, PoseDistribution,
                                                             build_hands, sample_hand_parameters)
from semihand_mmpose.evaluation.prediction_dumps import load_dump
from semihand_mmpose.visualization import plot_predictions
from semihand_mmpose.visualization.predictions import crop_box
from tools.analysis import plot_predictions as tool


def test_pick_hands():
    errors = np.array([[10.0, 20.0, 30.0, 40.0, 50.0],
                       [12.0, 5.0, 29.0, 41.0, 20.0]])
    # first - second: -2, 15, 1, -1, 30
    assert tool.pick_hands(errors, 2, 'gain').tolist() == [4, 1]
    assert tool.pick_hands(errors, 2, 'loss').tolist() == [0, 3]
    # evenly over the first model's ranking: its best, middle and worst hand
    assert tool.pick_hands(errors, 3, 'spread').tolist() == [0, 2, 4]
    # the first model's largest errors, worst first
    assert tool.pick_hands(errors, 2, 'worst').tolist() == [4, 3]
    drawn = tool.pick_hands(errors, 3, 'random', seed=1)
    assert len(set(drawn.tolist())) == 3
    assert drawn.tolist() == tool.pick_hands(errors, 3, 'random', seed=1).tolist()
    assert tool.pick_hands(errors, 9, 'gain').tolist() == [4, 1, 2, 3, 0]  # all there are
    with pytest.raises(ValueError, match='first two models'):
        tool.pick_hands(errors[:1], 2, 'gain')
    with pytest.raises(ValueError, match='--pick'):
        tool.pick_hands(errors, 2, 'best')


def test_crop_box_holds_the_hand_inside_the_image():
    points = np.array([[40.0, 20.0], [80.0, 40.0]])
    x0, y0, x1, y1 = crop_box(points, (64, 128, 3))
    assert x0 <= 40 and y0 <= 20 and x1 >= 80 and y1 >= 40
    # the side, 40 px, grown by 0.35 of it on each side: 68 px around the centre (60, 30), then
    # clipped to the image's 64 rows
    assert (x0, x1) == (26, 94)
    assert (y0, y1) == (0, 64)


def test_plot_predictions_refuses_hands_that_do_not_match(tmp_path):
    image = np.zeros((32, 32, 3), np.uint8)
    gt = np.zeros((1, 21, 2))
    with pytest.raises(ValueError, match='same hands'):
        plot_predictions([image], gt, {'A': np.zeros((2, 21, 2))}, {'A': ['']},
                         str(tmp_path / 'x.png'))


@pytest.fixture
def dumps(tmp_path):
    """Two models on six right hands, 400 mm from the camera, with images on disk. Model A's 2D
    error is 5 px on every hand; B's 1 px. A's 3D error is 1 mm on every hand, B's 3, 1, 0.5, 1,
    2, 1 mm (the little fingertip moved along z by 21 times that: neither the root nor the
    reference bone moves, so a hand's mean error is the move / 21 exactly)."""
    rng = np.random.default_rng(0)
    dist = PoseDistribution(curl=(0.3, 0.3), curl_jitter=0.0)
    gt = build_hands([sample_hand_parameters(rng, dist) for _ in range(6)]) @ PALM_TO_CAMERA.T
    gt = gt + np.array([0.0, 0.0, 400.0])
    gt2d = gt[..., :2] / gt[..., 2:] * 100.0 + 64.0
    paths = []
    for name, mm, shift in (('a', [1.0] * 6, (3.0, 4.0)),
                            ('b', [3.0, 1.0, 0.5, 1.0, 2.0, 1.0], (0.6, 0.8))):
        samples = []
        for i in range(6):
            img_path = tmp_path / f'{i}.bmp'
            cv2.imwrite(str(img_path), np.full((128, 128, 3), 40 * i, np.uint8))
            pred = gt[i].copy()
            pred[20, 2] += 21.0 * mm[i]
            samples.append(dump_sample(i, gt[i], gt2d[i], pred, gt2d[i] + np.array(shift),
                                       str(img_path)))
        paths.append(write_dump(tmp_path / f'{name}.pkl', samples))
    return paths


def test_draws_the_hands_the_second_model_fixed_with_their_errors(dumps, tmp_path):
    out = tmp_path / 'predictions.png'
    result = tool.main(dumps + ['--names', 'A', 'B', '--num', '2', '--out', str(out)])
    # A - B: -2, 0, +0.5, 0, -1, 0 mm: B gains most on hand 2, then on 1, 3 and 5 (ties, in order)
    assert [h['id'] for h in result['hands']] == [2, 1]
    for h in result['hands']:
        assert h['epe3d_mm']['A'] == pytest.approx(1.0, abs=1e-6)
        assert h['epe2d_px']['A'] == pytest.approx(5.0)
        assert h['epe2d_px']['B'] == pytest.approx(1.0)
    assert result['hands'][0]['epe3d_mm']['B'] == pytest.approx(0.5, abs=1e-6)
    image = cv2.imread(str(out))
    assert image is not None and image.shape[0] > 100 and image.shape[1] > 100
    # what B broke: hands 0 and 4
    loss = tool.main(dumps + ['--names', 'A', 'B', '--num', '2', '--pick', 'loss', '--out',
                              str(out)])
    assert [h['id'] for h in loss['hands']] == [0, 4]


def test_a_missing_image_is_named(dumps, tmp_path):
    (tmp_path / '2.bmp').unlink()
    with pytest.raises(FileNotFoundError, match='2.bmp'):
        tool.main(dumps + ['--num', '1', '--out', str(tmp_path / 'x.png')])


def test_dumps_of_other_hands_are_refused(dumps, tmp_path):
    with open(dumps[1], 'rb') as f:
        samples = pickle.load(f)
    with open(dumps[1], 'wb') as f:
        pickle.dump(samples[:5], f)
    with pytest.raises(ValueError, match='other hands'):
        tool.main(dumps + ['--out', str(tmp_path / 'x.png')])


@pytest.fixture
def fingertip_dumps(tmp_path):
    """Dumps of a test set labelled at the fingertips only, as Dexter+Object's: three hands, the
    last without any label. On the fingertips model A is 2 mm off along z and (3, 4) px off in
    the image, B 1 mm and (0.6, 0.8) px; on the unlabelled joints both are 100 mm and 50 px off,
    which must not count."""
    rng = np.random.default_rng(1)
    gt = build_hands([sample_hand_parameters(rng, PoseDistribution()) for _ in range(3)])
    gt = gt @ PALM_TO_CAMERA.T + np.array([0.0, 0.0, 400.0])
    gt2d = gt[..., :2] / gt[..., 2:] * 100.0 + 64.0
    tips = np.zeros(21, bool)
    tips[[4, 8, 12, 16, 20]] = True
    paths = []
    for name, mm, shift in (('a', 2.0, (3.0, 4.0)), ('b', 1.0, (0.6, 0.8))):
        samples = []
        for i in range(3):
            img_path = tmp_path / f'do_{i}.bmp'
            cv2.imwrite(str(img_path), np.full((128, 128, 3), 60, np.uint8))
            labelled = tips if i < 2 else np.zeros(21, bool)
            pred3d = gt[i] + np.where(tips[:, None], [0.0, 0.0, mm], [100.0, 0.0, 0.0])
            pred2d = gt2d[i] + np.where(tips[:, None], shift, [50.0, 0.0])
            samples.append(dump_sample(i, gt[i], gt2d[i], pred3d, pred2d, str(img_path), 'do',
                                       labelled=labelled))
        paths.append(write_dump(tmp_path / f'do_{name}.pkl', samples))
    return paths


def test_hands_labelled_at_the_fingertips_count_their_labelled_joints(fingertip_dumps, tmp_path):
    out = tmp_path / 'do.png'
    result = tool.main(fingertip_dumps + ['--names', 'A', 'B', '--alignment', 'none', '--scale',
                                          'none', '--pick', 'spread', '--out', str(out)])
    # the hand without labels is left out; the others' errors are the fingertips' alone
    assert result['left_out'] == 1
    assert sorted(h['id'] for h in result['hands']) == [0, 1]
    for h in result['hands']:
        assert h['epe3d_mm'] == pytest.approx(dict(A=2.0, B=1.0))
        assert h['epe2d_px'] == pytest.approx(dict(A=5.0, B=1.0))
    assert cv2.imread(str(out)) is not None
    # a hand must have a labelled joint to be scored
    with pytest.raises(SystemExit):
        tool.main(fingertip_dumps + ['--min-valid-joints', '0'])
    # the analysis that reads the pose off the whole hand refuses them
    with pytest.raises(ValueError, match='16 joints without a 3D label'):
        load_dump(fingertip_dumps[0])


def test_plotting_leaves_the_users_matplotlib_backend_alone(tmp_path):
    """The plots draw on their own figures: importing them, or the whole package, must not switch
    the backend of a user's session (a notebook's inline one, say) to Agg."""
    code = ('import matplotlib; matplotlib.use("svg"); import semihand_mmpose; '
            'from semihand_mmpose.visualization import plot_pck_curves; '
            'from tools.analysis import analyze_errors_by_pose; '
            f'plot_pck_curves({{"a": dict(thresholds_mm=[20, 50], pck=[0.2, 0.6], auc=0.4)}}, '
            f'{str(tmp_path / "pck.png")!r}); print(matplotlib.get_backend())')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == 'svg'
    assert cv2.imread(str(tmp_path / 'pck.png')).shape[2] == 3
