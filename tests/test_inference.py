# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Using a trained model: a stage-2 checkpoint exported as the estimator that tools/test.py tested,
and 3D hands predicted in an image (through MMPose's init_model, or this project's for a stage-2
config)."""
import json
import os.path as osp
import pickle

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpose.apis import init_model
from mmpose.registry import DATASETS, MODELS

from semihand_mmpose.apis import (estimator_config, inference_hand3d, inference_pipeline_of,
                                  init_hand3d_model, pipeline_of)
from test_tools import ROOT, _run

PRETRAIN = osp.join(ROOT, 'configs', 'pretrain_synth.py')
FINETUNE = osp.join(ROOT, 'configs', 'semihand_synth_finetune.py')


@pytest.fixture(scope='module')
def estimator():
    torch.manual_seed(0)
    return init_model(PRETRAIN, None, device='cpu')


@pytest.fixture(scope='module')
def test_hand(estimator, small_split):
    """A labelled target hand of the small split, loaded as the test pipeline loads it."""
    ann, folder = small_split
    cfg = dict(type='Hand3DDataset', ann_file=ann, data_root=folder, test_mode=True,
               pipeline=pipeline_of(estimator.cfg.test_dataloader.dataset))
    dataset = DATASETS.build(cfg)
    info = dataset.get_data_info(3)
    return info, dataset[3]


def test_inference_predicts_what_testing_predicts_and_lifts_with_the_camera(estimator, test_hand):
    info, packed = test_hand
    with torch.no_grad():
        tested = estimator.test_step(dict(inputs=[packed['inputs']],
                                          data_samples=[packed['data_samples']]))[0].pred_instances
    result = inference_hand3d(estimator, info['img_path'], info['bbox'], info['K'])
    assert len(result) == 1
    pred = result[0].pred_instances
    np.testing.assert_array_equal(pred.keypoints, tested.keypoints)
    np.testing.assert_array_equal(pred.keypoints_z_rel, tested.keypoints_z_rel)
    np.testing.assert_array_equal(pred.keypoints_3d, tested.keypoints_3d)
    # the 3D joints lie on the rays of the 2D keypoints through the camera
    joints = pred.keypoints_3d[0].astype(np.float64)
    projected = joints @ np.asarray(info['K'], np.float64).T
    np.testing.assert_allclose(projected[:, :2] / projected[:, 2:], pred.keypoints[0], atol=1e-3)
    # the same hand given as an image array and an x, y, w, h box; without K, no 3D
    x0, y0, x1, y1 = info['bbox'][0]
    again = inference_hand3d(estimator, mmcv.imread(info['img_path']),
                             [[x0, y0, x1 - x0, y1 - y0]], bbox_format='xywh')[0].pred_instances
    np.testing.assert_allclose(again.keypoints, pred.keypoints, atol=1e-4)
    assert 'keypoints_3d' not in again


def test_inference_without_boxes_crops_the_whole_image(estimator, test_hand):
    info, _ = test_hand
    h, w = mmcv.imread(info['img_path']).shape[:2]
    whole = inference_hand3d(estimator, info['img_path'])[0].pred_instances
    boxed = inference_hand3d(estimator, info['img_path'], [[0, 0, w, h]])[0].pred_instances
    np.testing.assert_array_equal(whole.keypoints, boxed.keypoints)
    np.testing.assert_array_equal(whole.bboxes, [[0, 0, w, h]])


@pytest.mark.parametrize('K, match', [
    (np.eye(3)[:2], r'shape \(2, 3\)'),
    (np.diag([100.0, 100.0, 2.0]), 'fx, fy > 0'),
    (np.diag([-100.0, 100.0, 1.0]), 'fx, fy > 0'),
    (np.full((3, 3), np.nan), 'finite'),
])
def test_inference_refuses_a_camera_that_is_not_one(estimator, test_hand, K, match):
    info, _ = test_hand
    with pytest.raises(ValueError, match=match):
        inference_hand3d(estimator, info['img_path'], info['bbox'], K)


def test_inference_refuses_boxes_that_are_not_four_numbers(estimator, test_hand):
    info, _ = test_hand
    boxes_with_scores = np.concatenate([info['bbox'], [[0.9]]], axis=1)  # a detector's (N, 5)
    with pytest.raises(ValueError, match=r'bboxes must be \(N, 4\) boxes \(xyxy\), got shape '
                       r'\(1, 5\)'):
        inference_hand3d(estimator, info['img_path'], boxes_with_scores)


def test_the_pipeline_is_found_inside_dataset_wrappers(tmp_path):
    steps = [dict(type='LoadImage')]
    assert pipeline_of(dict(type='ConcatDataset', datasets=[
        dict(type='RepeatDataset', dataset=dict(type='A', pipeline=steps))])) is steps
    with pytest.raises(KeyError, match=r"\(type 'B'\) has no pipeline"):
        pipeline_of(dict(type='B'))
    # a config without a test loop: its test_pipeline, or an error naming the config
    config = tmp_path / 'own.py'
    config.write_text("test_dataloader = None\ntest_pipeline = [dict(type='LoadImage')]\n")
    assert inference_pipeline_of(Config.fromfile(config)) == steps
    config.write_text('test_dataloader = None\n')
    with pytest.raises(KeyError, match='own.py: neither a test_dataloader nor a test_pipeline'):
        inference_pipeline_of(Config.fromfile(config))


def _small_stage2(root):
    """Options that shrink stage 2's unlabelled set (its hook's) and its test sets to 16 hands:
    (the hook's, the test's)."""
    hook = ['custom_hooks.1.pseudo_dataloader.num_workers=0',
            'custom_hooks.1.pseudo_dataloader.batch_size=8', 'custom_hooks.1.adapt_bn_batches=2']
    test = ['test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
            'test_dataloader.batch_size=8']
    for prefix in ('custom_hooks.1.pseudo_dataloader.dataset', 'custom_hooks.1.label_dataset'):
        hook += [f'{prefix}.data_root={root}', f'{prefix}.num_samples=16']
    for prefix in ('test_dataloader.dataset.datasets.0', 'test_dataloader.dataset.datasets.1'):
        test += [f'{prefix}.data_root={root}', f'{prefix}.num_samples=16']
    return hook, test


def _stage2_checkpoint(tmp_path):
    """A stage-2 model of the default config whose batch norms hold statistics unlike any
    image's, and its checkpoint."""
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(FINETUNE).model)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-1.0, 1.0)
            module.running_var.uniform_(0.5, 2.0)
    checkpoint = str(tmp_path / 'stage2.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    return model, checkpoint


def _keypoints(dump):
    with open(dump, 'rb') as f:
        return np.concatenate([r['pred_instances']['keypoints'] for r in pickle.load(f)])


def test_an_exported_stage2_checkpoint_predicts_what_its_test_predicted(tmp_path, synthetic_root,
                                                                        capsys):
    """tools/test.py of the export gives the predictions of tools/test.py of the stage-2
    checkpoint, which tests with batch-norm statistics of the unlabelled images, not the
    checkpoint's own."""
    from tools.misc import export_adapted_model
    hook, test = _small_stage2(synthetic_root)
    model, checkpoint = _stage2_checkpoint(tmp_path)

    _run(['tools/test.py', FINETUNE, checkpoint, '--work-dir', str(tmp_path / 't'),
          '--dump', str(tmp_path / 'stage2.pkl'), '--cfg-options'] + hook + test, ROOT)
    out = str(tmp_path / 'export' / 'model.pth')
    export_adapted_model.main([FINETUNE, checkpoint, out, '--cfg-options'] + hook)
    assert 'student of' in capsys.readouterr().out
    exported = torch.load(out, weights_only=False)
    weights = exported['state_dict']
    assert set(weights) == {k[len('student.'):] for k in model.state_dict()
                            if k.startswith('student.')}
    # the batch norms' statistics are new, every other weight the student's
    moved = [k for k in weights if not torch.equal(weights[k], model.state_dict()['student.' + k])]
    assert moved and all(k.endswith(('running_mean', 'running_var', 'num_batches_tracked'))
                     for k in moved)
    assert exported['meta']['semihand_export']['target_bn_batches'] == 2
    assert exported['meta']['dataset_meta']['num_keypoints'] == 21
    out_cfg = Config.fromfile(str(tmp_path / 'export' / 'model.py'))
    assert out_cfg.model.type == 'Hand3DPoseEstimator' and out_cfg.load_from is None
    assert not [h for h in out_cfg.custom_hooks if h['type'] == 'SemiHandHook']
    _run(['tools/test.py', str(tmp_path / 'export' / 'model.py'), out, '--work-dir',
          str(tmp_path / 't'), '--dump', str(tmp_path / 'export.pkl'), '--cfg-options'] + test,
         ROOT)
    np.testing.assert_array_equal(_keypoints(tmp_path / 'export.pkl'),
                                  _keypoints(tmp_path / 'stage2.pkl'))
    with pytest.raises(ValueError, match='model.type must be "SemiHandEstimator"'):
        export_adapted_model.main([PRETRAIN, checkpoint, str(tmp_path / 'x.pth')])


def test_the_image_demo_draws_and_prints_the_hands(tmp_path, small_split):
    """tools/demo/image_demo.py on a stage-1 style checkpoint: its JSON line holds what
    inference_hand3d returns, and the drawing is written."""
    from tools.demo import image_demo
    ann, folder = small_split
    torch.manual_seed(0)
    model = init_model(PRETRAIN, None, device='cpu')
    checkpoint = str(tmp_path / 'model.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict(dataset_meta=model.dataset_meta)),
               checkpoint)
    with open(ann) as f:
        data = json.load(f)
    image, hand = data['images'][0], data['annotations'][0]
    img = osp.join(folder, image['file_name'])
    x, y, w, h = hand['bbox']
    (fx, _, cx), (_, fy, cy), _ = image['K']
    out = str(tmp_path / 'pred.png')
    hands = image_demo.main([img, PRETRAIN, checkpoint, '--bboxes', str(x), str(y), str(x + w),
                             str(y + h), '--K', str(fx), str(fy), str(cx), str(cy),
                             '--out-file', out])
    assert osp.getsize(out) > 10000
    expected = inference_hand3d(model, img, [[x, y, x + w, y + h]], image['K'])[0].pred_instances
    np.testing.assert_allclose(hands[0]['keypoints'], expected.keypoints[0], atol=1e-4)
    np.testing.assert_allclose(hands[0]['keypoints_3d'], expected.keypoints_3d[0], atol=1e-3)
    with pytest.raises(ValueError, match='four numbers per box'):
        image_demo.main([img, PRETRAIN, checkpoint, '--bboxes', '1', '2', '3'])


def test_the_image_demo_takes_a_stage2_checkpoint_as_its_export(tmp_path, synthetic_root,
                                                             small_split):
    """MMPose's init_model cannot build a stage-2 config; the demo (init_hand3d_model) exports
    it in memory and predicts what the exported checkpoint predicts."""
    from tools.demo import image_demo
    from tools.misc import export_adapted_model
    hook, _ = _small_stage2(synthetic_root)
    _, checkpoint = _stage2_checkpoint(tmp_path)
    out = str(tmp_path / 'export' / 'model.pth')
    export_adapted_model.main([FINETUNE, checkpoint, out, '--cfg-options'] + hook)
    ann, folder = small_split
    with open(ann) as f:
        img = osp.join(folder, json.load(f)['images'][0]['file_name'])
    args = ['--K', '200', '200', '64', '64']
    direct = image_demo.main([img, FINETUNE, checkpoint, '--cfg-options'] + hook + args)
    exported = image_demo.main([img, str(tmp_path / 'export' / 'model.py'), out] + args)
    assert direct == exported
    # the checkpoint's own statistics predict otherwise: the export did take the target's
    own = image_demo.main([img, FINETUNE, checkpoint, '--cfg-options'] + hook +
                          ['custom_hooks.1.eval_target_bn=False'] + args)
    assert own[0]['keypoints'] != direct[0]['keypoints']
    with pytest.raises(ValueError, match='a stage-2 config .* none was given'):
        init_hand3d_model(FINETUNE)


@pytest.mark.parametrize('name', ['semihand_synth', 'semihand_synth_online', 'semihand_stb',
                                  'semihand_do', 'semihand_own_images'])
def test_every_stage2_config_has_a_plain_estimator_config(name):
    """What an export writes beside its checkpoint: the wrapped estimator, a test pipeline (the
    own-images config, with no test loop, its test_pipeline), and none of the hooks that need the
    teacher-student model (the online config's MeanTeacherHook)."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs', f'{name}.py'))
    out = estimator_config(cfg)
    assert type(MODELS.build(out.model)).__name__ == 'Hand3DPoseEstimator'
    assert [step['type'] for step in inference_pipeline_of(out)][-2:] == [
        'HandAffine', 'PackHand3DInputs']
    assert (out.test_dataloader is None) == (name == 'semihand_own_images')
    kept = [h['type'] for h in out.custom_hooks]
    assert not set(kept) & {'SemiHandHook', 'mmdet.MeanTeacherHook', 'MeanTeacherHook'}
    assert len(kept) == len(cfg.custom_hooks) - (2 if name == 'semihand_synth_online' else 1)


def test_an_export_without_target_statistics_keeps_the_checkpoints_own(tmp_path):
    """With ``eval_target_bn=False`` the stage-2 test uses the checkpoint's statistics, so the
    export is the student exactly as saved, its batch norms' statistics (unlike any image's)
    included."""
    from semihand_mmpose.apis import export_adapted_estimator
    cfg = Config.fromfile(FINETUNE)
    cfg.merge_from_dict({'custom_hooks.1.eval_target_bn': False})
    model, checkpoint = _stage2_checkpoint(tmp_path)
    estimator, _, meta = export_adapted_estimator(cfg, checkpoint)
    assert meta['semihand_export'] == dict(checkpoint=checkpoint, predictor='student',
                                           target_bn_batches=0)
    for key, value in estimator.state_dict().items():
        assert torch.equal(value, model.state_dict()['student.' + key]), key
