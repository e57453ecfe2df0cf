# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Every config under configs/ loads, and every data pipeline in it builds from the registries;
the configs under configs/backbones/ wrap the estimators they name."""
import glob
import importlib
import os.path as osp

import pytest
from mmcv.transforms import Compose
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)


def _pipelines(node, where=''):
    """``(where, pipeline)`` for every ``pipeline`` list in a config tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'pipeline' and isinstance(value, list):
                yield f'{where}.{key}', value
            else:
                yield from _pipelines(value, f'{where}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _pipelines(value, f'{where}.{i}')


@pytest.mark.parametrize('config', CONFIGS)
def test_config_loads_and_its_pipelines_build(config):
    cfg = Config.fromfile(osp.join(ROOT, config))
    for module in cfg.get('custom_imports', {}).get('imports', []):
        importlib.import_module(module)
    pipelines = list(_pipelines(cfg.to_dict()))
    assert any('train_dataloader' in where for where, _ in pipelines), config
    for where, pipeline in pipelines:
        try:
            Compose(pipeline)
        except Exception as e:  # name the config and the pipeline that failed
            raise AssertionError(f'{config}: {where} does not build: {e}') from e


def _types(pipeline):
    return [step['type'] for step in pipeline]


def test_photometric_configs_add_only_the_students_photometric_steps_after_the_crop():
    photometric = ['PhotometricDistortion', 'RandomBlurNoise']
    plain = Config.fromfile(osp.join(ROOT, 'configs', 'pretrain_synth.py'))
    aug = Config.fromfile(osp.join(ROOT, 'configs', 'pretrain_synth_photometric.py'))
    before = _types(plain.train_dataloader.dataset.pipeline)
    after = _types(aug.train_dataloader.dataset.pipeline)
    crop = before.index('HandAffine') + 1
    assert after == before[:crop] + photometric + before[crop:]
    assert aug.model == plain.model and aug.train_cfg == plain.train_cfg

    stage2 = Config.fromfile(osp.join(ROOT, 'configs', 'semihand_synth_finetune.py'))
    # the labelled images get the student's own perturbation, parameters included
    student = stage2.train_dataloader.dataset.datasets[1].pipeline[-1]['unsup_student']
    at = _types(student).index('HandAffine') + 1
    assert student[at:at + 2] == aug.train_dataloader.dataset.pipeline[crop:crop + 2]

    for name, start in (('semihand_synth_photometric.py', 'pretrain_synth_photometric'),
                        (osp.join('ablations', 'semihand_synth_labelled_photometric.py'),
                         'pretrain_synth')):
        cfg = Config.fromfile(osp.join(ROOT, 'configs', name))
        labelled, unlabelled = cfg.train_dataloader.dataset.datasets
        base_labelled, base_unlabelled = stage2.train_dataloader.dataset.datasets
        before = _types(base_labelled.pipeline)
        crop = before.index('HandAffine') + 1
        assert _types(labelled.pipeline) == before[:crop] + photometric + before[crop:]
        assert unlabelled == base_unlabelled and cfg.model == stage2.model
        assert cfg.load_from == f'work_dirs/{start}/iter_850.pth'


def test_real_data_configs_use_the_views_measured_on_the_synthetic_hands():
    """SemiHand on STB and DO perturbs as the synthetic stage 2 does (configs/_base_/
    semihand_views.py): the same teacher views and student steps, only the crop's size differs."""
    def views(name):
        cfg = Config.fromfile(osp.join(ROOT, 'configs', name))
        unlabelled = cfg.train_dataloader.dataset.datasets[1].pipeline[-1]
        labelling = cfg.custom_hooks[1].pseudo_dataloader.dataset.pipeline[-1]
        drop_size = (lambda steps: [{k: v for k, v in s.items() if k != 'input_size'}
                                    for s in steps])
        branches = {b: drop_size(labelling[b]) for b in labelling['branch_field']}
        return (drop_size(unlabelled['unsup_student']), branches, unlabelled['branch_field'],
                cfg.input_size)

    synth = views('semihand_synth_finetune.py')
    assert synth[1].keys() == {'unsup_teacher', 'unsup_teacher_1', 'unsup_teacher_2'}
    for name in ('semihand_stb.py', 'semihand_do.py'):
        real = views(name)
        assert real[:3] == synth[:3], name
        assert real[3] == (256, 256) and synth[3] == (64, 64)


@pytest.mark.parametrize('backbone', ['hrnet-w18', 'cspnext-m'])
def test_each_backbones_stage2_takes_its_stage1_checkpoint(backbone):
    """``configs/backbones/semihand_stb_*.py`` wrap the estimator of the matching
    ``pretrain_rhd_*.py``: stage 1's weights load into the stage-2 model with nothing missing or
    left over, and reach both the student and the teacher."""
    import torch
    from mmpose.registry import MODELS

    import semihand_mmpose  # noqa: F401  (registers the components)
    stage1 = Config.fromfile(osp.join(ROOT, 'configs', 'backbones', f'pretrain_rhd_{backbone}.py'))
    stage2 = Config.fromfile(osp.join(ROOT, 'configs', 'backbones', f'semihand_stb_{backbone}.py'))
    assert stage2.load_from == f'work_dirs/pretrain_rhd_{backbone}/best_hand3d_AUC.pth'
    assert stage2.model.estimator.backbone.init_cfg is None
    torch.manual_seed(0)
    plain = MODELS.build(stage1.model)
    semi = MODELS.build(stage2.model)
    weights = plain.state_dict()
    semi.load_state_dict(weights, strict=True)
    loaded = semi.state_dict()
    for name, value in weights.items():
        for net in ('student', 'teacher'):
            assert torch.equal(loaded[f'{net}.{name}'], value), (net, name)


def test_the_cpu_backbone_example_wraps_mobilenetv2():
    """``configs/backbones/semihand_synth_mobilenetv2.py``: the one-command synthetic config with
    only the backbone and the heads' width changed; its student predicts 2.5D poses and masks of
    64-px crops."""
    import torch
    from mmpose.registry import MODELS

    import semihand_mmpose  # noqa: F401  (registers the components)
    base = Config.fromfile(osp.join(ROOT, 'configs', 'semihand_synth.py'))
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'backbones', 'semihand_synth_mobilenetv2.py'))
    changed = {k for k in cfg.model.estimator if cfg.model.estimator[k] != base.model.estimator[k]}
    assert changed == {'backbone', 'head', 'mask_head'}
    for head in ('head', 'mask_head'):
        assert {k for k in cfg.model.estimator[head]
                if cfg.model.estimator[head][k] != base.model.estimator[head][k]} == {
                    'in_channels'}
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    assert type(model.student.backbone).__name__ == 'MobileNetV2'
    with torch.no_grad():
        uv, z, _, feats = model._forward_25d(model.student, torch.randn(2, 3, 64, 64))
        mask = model.student.mask_head.forward(feats)
    assert uv.shape == (2, 21, 2) and z.shape == (2, 21) and mask.shape == (2, 1, 16, 16)
