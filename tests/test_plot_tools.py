# Copyright (c) semihand_mmpose authors. All rights reserved.
"""tools/analysis/plot_pck.py and plot_rounds.py on files in the formats that Hand3DMetric and
SemiHandHook write, and tools/dataset_converters/generate_synthetic_hands.py against the dataset
that generates the same split itself."""
import json
import os

import cv2
import numpy as np
import pytest

from semihand_mmpose.datasets import SyntheticHand3DDataset
from semihand_mmpose.engine.pseudo_label_rounds import write_round_log
from semihand_mmpose.evaluation.metrics.hand3d_metric import pck_auc
from tools.analysis import plot_pck, plot_rounds
from tools.dataset_converters import generate_synthetic_hands


def _curve(errors_mm):
    """A curve as Hand3DMetric writes it, from one keypoint's errors."""
    thresholds, pck, auc, epe, _ = pck_auc([np.asarray(errors_mm, float)], 20.0, 50.0, 20)
    return dict(thresholds_mm=thresholds.tolist(), pck=pck.tolist(), auc=auc, epe=epe)


def test_plot_pck_draws_the_metrics_curves_and_reports_their_auc(tmp_path):
    # errors 10, 30 and 60 mm: PCK 1/3 from 20 mm up to 30, 2/3 from 30 mm on
    a = dict(synthetic_target=_curve([10.0, 30.0, 60.0]), synthetic_source=_curve([10.0] * 3))
    b = dict(synthetic_target=_curve([10.0, 10.0, 60.0]))
    for name, groups in (('a', a), ('b', b)):
        (tmp_path / f'{name}.pck.json').write_text(json.dumps(groups))
    files = [str(tmp_path / 'a.pck.json'), str(tmp_path / 'b.pck.json')]
    out = str(tmp_path / 'pck.png')
    aucs = plot_pck.main(files + ['--labels', 'A', 'B', '--group', 'synthetic_target',
                                  '--out', out])
    # AUC over 20-50 mm by hand: b's PCK is 2/3 throughout; a's 1/3 up to 30 mm, then 2/3 (the
    # 20 thresholds are 30/19 mm apart, so the step at 30 mm is a trapezoid between the
    # thresholds at 29.5 and 31.1 mm)
    step = 30.0 / 19
    first = int(np.floor((30.0 - 20.0) / step))  # the last threshold below 30 mm
    area = (first * step / 3 + step / 2 * (1 / 3 + 2 / 3) + (30.0 - (first + 1) * step) * 2 / 3)
    assert aucs == pytest.approx(dict(A=area / 30.0, B=2 / 3))
    assert cv2.imread(out) is not None
    # without --group every curve of every file, named by file and test set
    aucs = plot_pck.main(files + ['--labels', 'A', 'B', '--out', out])
    assert list(aucs) == ['A (synthetic_target)', 'A (synthetic_source)', 'B']
    assert aucs['A (synthetic_source)'] == pytest.approx(1.0)


def test_plot_pck_names_what_is_wrong_with_its_input(tmp_path, capsys):
    good = tmp_path / 'a.pck.json'
    good.write_text(json.dumps(dict(stb=_curve([25.0]))))
    with pytest.raises(SystemExit):
        plot_pck.main([str(good), '--labels', 'A', 'B'])
    assert '1 files but 2 labels' in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"a.pck.json: no curve of test set 'rhd' .* \['stb'\]"):
        plot_pck.main([str(good), '--group', 'rhd', '--out', str(tmp_path / 'x.png')])
    bad = tmp_path / 'b.pck.json'
    bad.write_text(json.dumps(dict(stb=dict(pck=[0.5], auc=0.5))))
    with pytest.raises(ValueError, match=r"b.pck.json: curve 'stb' has no \['thresholds_mm'\]"):
        plot_pck.main([str(bad), '--out', str(tmp_path / 'x.png')])
    bad.write_text(json.dumps([1, 2]))
    with pytest.raises(ValueError, match='b.pck.json: expected a JSON object of curves'):
        plot_pck.main([str(bad), '--out', str(tmp_path / 'x.png')])
    assert not (tmp_path / 'x.png').exists()


def test_plot_rounds_draws_the_hooks_rounds_and_reports_the_last(tmp_path, capsys):
    rows = [dict(round=0, kept=0.7, confidence=0.80, pseudo_epe2d_px=10.5),
            dict(round=1, kept=0.7, confidence=0.84, movement_px=3.25, pseudo_epe2d_px=9.75),
            dict(round=2, kept=0.7, confidence=0.86, movement_px=1.5, pseudo_epe2d_px=9.5)]
    write_round_log(str(tmp_path / 'a.json'), rows)
    write_round_log(str(tmp_path / 'b.json'), rows[:2])
    out = str(tmp_path / 'rounds.png')
    last = plot_rounds.main([str(tmp_path / 'a.json'), str(tmp_path / 'b.json'),
                             '--labels', 'three', 'two', '--out', out])
    assert last == dict(three=rows[2], two=rows[1])
    printed = capsys.readouterr().out
    assert ('three: round 2, movement_px 1.5000, pseudo_epe2d_px 9.5000, confidence 0.8600'
            in printed)
    assert json.loads(printed.strip().splitlines()[-1])['last_round']['two'] == rows[1]
    assert cv2.imread(out) is not None
    with pytest.raises(SystemExit):
        plot_rounds.main([str(tmp_path / 'a.json'), '--labels', 'x', 'y'])
    (tmp_path / 'c.json').write_text(json.dumps([dict(kept=0.7)]))
    with pytest.raises(ValueError, match='c.json: expected a non-empty JSON list of rows'):
        plot_rounds.main([str(tmp_path / 'c.json'), '--out', out])
    (tmp_path / 'c.json').write_text(json.dumps([dict(round=0, kept=0.7)]))
    with pytest.raises(ValueError, match='c.json: no row has any of'):
        plot_rounds.main([str(tmp_path / 'c.json'), '--out', out])


def test_generate_synthetic_hands_writes_the_split_the_dataset_reads(tmp_path):
    args = ['--domain', 'target_poses', '--split', 'test', '--num-samples', '3', '--seed', '7',
            '--image-size', '64', '--nproc', '1']
    ann = generate_synthetic_hands.main(args + ['--data-root', str(tmp_path / 'tool')])
    # the dataset with the same arguments finds the tool's split instead of generating its own
    written = os.path.getmtime(ann)
    ds = SyntheticHand3DDataset(domain='target_poses', split='test', num_samples=3, seed=7,
                                image_size=64, data_root=str(tmp_path / 'tool'), pipeline=[])
    assert os.path.getmtime(ann) == written and len(ds) == 3
    assert ds[0]['img_path'].startswith(os.path.dirname(ann))
    # and what it generates itself elsewhere is the same split
    own = SyntheticHand3DDataset(domain='target_poses', split='test', num_samples=3, seed=7,
                                 image_size=64, data_root=str(tmp_path / 'own'), pipeline=[])
    assert json.load(open(own.ann_file)) == json.load(open(ann))
    with pytest.raises(SystemExit, match='exists already'):
        generate_synthetic_hands.main(args + ['--data-root', str(tmp_path / 'tool')])
    with pytest.raises(SystemExit):
        generate_synthetic_hands.main(['--domain', 'moon', '--num-samples', '3'])
