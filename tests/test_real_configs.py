# Copyright (c) semihand_mmpose authors. All rights reserved.
"""The real-data configs on tiny converted RHD, STB and Dexter+Object files and on images of
one's own, via MMPose's CLI."""
import glob
import json
import os
import os.path as osp
import re
import shutil

import cv2
import numpy as np
import pytest

from semihand_mmpose.apis import inference_hand3d, init_hand3d_model
from test_converters import _hands, _stb_frames, _write_do, _write_rhd, _write_stb
from test_tools import ROOT, _run
from tools.analysis import plot_predictions
from tools.dataset_converters import dexter_object_to_hand3d as do
from tools.dataset_converters import images_to_hand3d as own
from tools.dataset_converters import rhd_to_hand3d as rhd
from tools.dataset_converters import stb_to_hand3d as stb
from tools.misc import export_adapted_model

TRAIN = osp.join(ROOT, 'tools', 'train.py')
TEST = osp.join(ROOT, 'tools', 'test.py')
# CPU-sized overrides: no ImageNet download, small batches, no worker processes
CPU = ['model.backbone.init_cfg=None', 'train_dataloader.batch_size=2',
       'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
       'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
       'val_dataloader.batch_size=2', 'train_cfg.max_iters=1', 'train_cfg.val_interval=1',
       'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1']


def test_semihand_stb_without_data_says_how_to_prepare_it(tmp_path):
    log = _run([TRAIN, osp.join(ROOT, 'configs', 'semihand_stb.py'), '--work-dir',
                str(tmp_path / 'w')], str(tmp_path), expect_fail=True)
    assert 'does not exist' in log and 'python tools/dataset_converters/' in log


def test_rhd_pretraining_then_semihand_stb_on_converted_files(tmp_path, monkeypatch):
    data = tmp_path / 'data'
    a, b, c = _hands(3)
    _write_rhd(str(data / 'RHD_published_v2'), [(a, None), (None, b)])
    # the evaluation split: the same layout under evaluation/
    rhd_root = data / 'RHD_published_v2'
    shutil.copytree(rhd_root / 'training', rhd_root / 'evaluation')
    os.rename(data / 'RHD_published_v2' / 'evaluation' / 'anno_training.pickle',
              data / 'RHD_published_v2' / 'evaluation' / 'anno_evaluation.pickle')
    for split in ('training', 'evaluation'):
        rhd.convert_split(str(data / 'RHD_published_v2'), split, str(data / 'rhd'))
    _write_stb(str(data / 'STB'), stb.SEQUENCES, _stb_frames(1))
    for split in ('train', 'test'):
        stb.convert_split(str(data / 'STB'), split, str(data / 'stb'))

    work_rhd = str(tmp_path / 'work_rhd')
    log = _run([TRAIN, osp.join(ROOT, 'configs', 'pretrain_rhd.py'), '--work-dir',
                work_rhd, '--cfg-options'] + CPU, str(tmp_path))
    assert 'rhd: 2 hands' in log or 'hand3d/AUC' in log
    ckpt = osp.join(work_rhd, 'iter_1.pth')
    assert osp.isfile(ckpt)

    work_stb = str(tmp_path / 'work_stb')
    semi_cpu = [o for o in CPU if not o.startswith('model.backbone')]
    log = _run([TRAIN, osp.join(ROOT, 'configs', 'semihand_stb.py'), '--work-dir', work_stb,
                '--cfg-options', f'load_from={ckpt}', 'train_dataloader.sampler.batch_size=2',
                'custom_hooks.1.pseudo_dataloader.num_workers=0',
                'custom_hooks.1.pseudo_dataloader.batch_size=4'] + semi_cpu, str(tmp_path))
    assert 'Load checkpoint from' in log and 'SemiHand round 0:' in log
    assert 'loss_pseudo_coord' in log and 'hand3d/AUC' in log
    log = _run([TEST, osp.join(ROOT, 'configs', 'semihand_stb.py'),
                osp.join(work_stb, 'iter_1.pth'), '--work-dir', work_stb, '--cfg-options',
                'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
                'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False'],
               str(tmp_path))
    assert 'stb' in log and 'hand3d/AUC' in log

    # images of your own, unlabelled (each one hand filling it), from the same RHD checkpoint:
    # SemiHand trains with no validation or test loop, the pseudo-label rounds in the log
    own_images = data / 'own' / 'images'
    os.makedirs(own_images)
    for i, hand in enumerate((a, b, c)):
        cv2.imwrite(str(own_images / f'{i}.png'), hand['image'])
    own.convert(str(own_images), str(data / 'own'))
    no_val = [o for o in semi_cpu if not o.startswith(('val_', 'train_cfg.val'))]
    work_own = str(tmp_path / 'work_own')
    log = _run([TRAIN, osp.join(ROOT, 'configs', 'semihand_own_images.py'), '--work-dir',
                work_own, '--cfg-options', f'load_from={ckpt}',
                'train_dataloader.sampler.batch_size=2',
                'custom_hooks.1.pseudo_dataloader.num_workers=0',
                'custom_hooks.1.pseudo_dataloader.batch_size=4'] + no_val, str(tmp_path))
    assert 'SemiHand round 0:' in log and 'loss_pseudo_coord' in log
    assert 'hand3d/AUC' not in log and osp.isfile(osp.join(work_own, 'iter_1.pth'))
    rounds = glob.glob(osp.join(work_own, 'pseudo_labels', 'round_*'))
    assert len(rounds) == 1
    # exported with the batch-norm statistics of those images, it predicts 3D hands in them
    monkeypatch.chdir(tmp_path)
    exported = str(tmp_path / 'own_export' / 'model.pth')
    export_adapted_model.main([osp.join(ROOT, 'configs', 'semihand_own_images.py'),
                               osp.join(work_own, 'iter_1.pth'), exported, '--cfg-options',
                               'custom_hooks.1.pseudo_dataloader.num_workers=0',
                               'custom_hooks.1.pseudo_dataloader.batch_size=4'])
    model = init_hand3d_model(str(tmp_path / 'own_export' / 'model.py'), exported)
    K = json.load(open(data / 'own' / 'unlabelled.json'))['images'][0]['K']
    hand = inference_hand3d(model, str(own_images / '0.png'), K=K)[0].pred_instances
    assert hand.keypoints_3d.shape == (1, 21, 3) and np.isfinite(hand.keypoints_3d).all()

    # Dexter+Object: converted fingertips evaluate with both fingertip protocols, 0-100 mm in
    # camera coordinates and 20-50 mm after centroid-and-scale alignment, in one test
    # written in the depth SDK's frame, which the converter turns back into these tips
    tips = [(h['joints_cam'][list(do.TIPS)] + [0.0, 0.0, 300.0] - do.TRANSLATION)
            @ np.linalg.inv(do.ROTATION).T @ do.SDK_TO_PINHOLE for h in (a, b, c)]
    _write_do(str(data / 'dexter_object'), 'Grasp1', tips, [f'{i:05d}.png' for i in range(3)],
              sep=' ')
    do.convert(str(data / 'dexter_object'), str(data / 'do'), ['Grasp1'])
    log = _run([TEST, osp.join(ROOT, 'configs', 'semihand_do.py'),
                osp.join(work_stb, 'iter_1.pth'), '--work-dir', str(tmp_path / 'work_do'),
                '--dump', str(tmp_path / 'do.pkl'), '--out', str(tmp_path / 'do.json'),
                '--cfg-options', 'test_dataloader.num_workers=0',
                'test_dataloader.persistent_workers=False'], str(tmp_path))
    metrics = json.load(open(tmp_path / 'do.json'))
    assert {'hand3d/AUC', 'hand3d_aligned/AUC', 'hand3d/EPE', 'hand3d_aligned/EPE'} <= set(metrics)
    # its predictions drawn on its images, the errors over the labelled fingertips: every
    # fingertip of the three is labelled, so the hands' mean is each protocol's EPE
    monkeypatch.chdir(tmp_path)
    for alignment, prefix, auc_range in (('none', 'hand3d', '0-100'),
                                         ('centroid_scale', 'hand3d_aligned', '20-50')):
        line = re.search(rf'do: 3 hands, 3D AUC [0-9.]+ \({auc_range} mm, scale=none, '
                         rf'alignment={alignment}\), EPE ([0-9.]+) mm', log)
        assert line and float(line.group(1)) == pytest.approx(metrics[f'{prefix}/EPE'], abs=6e-3)
        out = str(tmp_path / f'do_{alignment}.png')
        drawn = plot_predictions.main([str(tmp_path / 'do.pkl'), '--alignment', alignment,
                                       '--scale', 'none', '--pick', 'spread', '--out', out])
        assert drawn['left_out'] == 0 and len(drawn['hands']) == 3
        assert np.mean([h['epe3d_mm']['do'] for h in drawn['hands']]) == pytest.approx(
            metrics[f'{prefix}/EPE'], rel=1e-5)
        assert all(np.isfinite(h['epe2d_px']['do']) for h in drawn['hands'])
        assert cv2.imread(out) is not None
