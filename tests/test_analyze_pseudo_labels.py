# Copyright (c) semihand_mmpose authors. All rights reserved.
"""tools/analysis/analyze_pseudo_labels.py scores what a SemiHandHook round would produce."""
import os.path as osp
import re

import numpy as np
import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(ROOT, 'configs', 'semihand_synth_finetune.py')


def _options(root, n=8):
    opts = {}
    for prefix in ('custom_hooks.1.pseudo_dataloader.dataset', 'custom_hooks.1.label_dataset'):
        opts.update({f'{prefix}.data_root': root, f'{prefix}.num_samples': n})
    opts.update({'custom_hooks.1.pseudo_dataloader.num_workers': 0,
                 'custom_hooks.1.pseudo_dataloader.batch_size': 4,
                 'custom_hooks.1.adapt_bn_batches': 1})
    return opts


def test_scores_match_the_hooks_own_round(tmp_path, synthetic_root):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    from mmpose.registry import DATASETS, HOOKS, MODELS

    import mmdet.datasets  # noqa: F401
    import mmdet.models  # noqa: F401
    import semihand_mmpose  # noqa: F401
    from tools.analysis import analyze_pseudo_labels as tool
    init_default_scope('mmpose')
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(_options(synthetic_root))
    torch.manual_seed(0)
    estimator = MODELS.build(cfg.model['estimator'])
    ckpt = str(tmp_path / 'plain.pth')
    torch.save(dict(state_dict=estimator.state_dict()), ckpt)

    options = [f'{k}={v}' for k, v in _options(synthetic_root).items()]
    rows = tool.main([CONFIG, ckpt, '--num-samples', '8', '--sets', 'orig,rot+15,rot-15',
                      'orig,rot+25', '--true-parts', '--cfg-options'] + options)
    best = min(['set orig,rot+15,rot-15', 'set orig,rot+25'], key=lambda k: rows[k]['epe3d_mm'])
    parts = [f'{best} (true {p})' for p in ('pixels', 'depths', 'pixels and depths')]
    assert set(rows) == {'view orig', 'view rot+15', 'view rot-15', 'view rot+25',
                         'set orig,rot+15,rot-15', 'set orig,rot+25', *parts}
    # true pixels leave no 2D error; true depths leave the set's; with both the lift gives the
    # hidden 3D labels back, and each part alone leaves some of the untrained model's 3D error
    assert rows[parts[0]]['epe2d_px'] == 0.0
    assert rows[parts[1]]['epe2d_px'] == rows[best]['epe2d_px']
    assert rows[parts[2]]['epe3d_mm'] < 1e-3
    assert min(rows[parts[0]]['epe3d_mm'], rows[parts[1]]['epe3d_mm']) > 1.0

    # the config's own teacher views are orig and +-15 degrees: the hook's round must agree
    hook = HOOKS.build(cfg.custom_hooks[1])
    model = MODELS.build(cfg.model)
    load_checkpoint(model, ckpt, map_location='cpu')
    hook.adapt_batch_norm(model, model.student)
    labels = hook.label_dataset(None, model, model.student)
    dataset = DATASETS.build(cfg.custom_hooks[1].label_dataset)
    truth = {int(dataset.get_data_info(i)['id']): dataset.get_data_info(i)['keypoints'][0]
             for i in range(len(dataset))}
    errors = [np.linalg.norm(uv - truth[int(i)], axis=-1).mean()
              for i, uv in zip(labels['ids'], labels['uv'])]
    assert rows['set orig,rot+15,rot-15']['epe2d_px'] == pytest.approx(np.mean(errors), rel=1e-4)
    assert all(np.isfinite(r['epe3d_mm']) and 0.0 <= r['auc3d'] <= 1.0 for r in rows.values())


def test_unknown_view_names_are_refused(tmp_path):
    from tools.analysis import analyze_pseudo_labels as tool
    with pytest.raises(ValueError, match=r"unknown view name\(s\) \['rot\+99'\]"):
        tool.main([CONFIG, str(tmp_path / 'x.pth'), '--sets', 'orig,rot+99'])


@pytest.mark.parametrize('config, message', [
    ('pretrain_synth.py', 'no SemiHandHook in custom_hooks'),
    ('semihand_stb.py', 'needs pseudo_dataloader and label_dataset')])
def test_configs_without_what_the_tool_needs_are_refused(tmp_path, config, message):
    """A stage-1 config has no hook to copy; STB's hook has no hidden labels to score
    against: each is refused by name before a model is built."""
    from tools.analysis import analyze_pseudo_labels as tool
    path = osp.join(ROOT, 'configs', config)
    with pytest.raises(ValueError, match=rf'^{re.escape(path)}: .*{message}'):
        tool.main([path, str(tmp_path / 'never_read.pth')])


def test_score_against_hand_computed_errors():
    """Exact 2.5D labels score 0 mm; one fingertip's relative depth off by 1.25 bones moves it
    along its ray by 1.25 bones (the root depth depends on the wrist and the reference bone only),
    which puts that joint beyond 50 mm in each hand: AUC 20/21, EPE that distance over 21."""
    from semihand_mmpose.biomech.skeleton import REF_BONE, ROOT_INDEX
    from semihand_mmpose.datasets.synthetic.hand_sampler import (PALM_TO_CAMERA,
                                                                 PoseDistribution, build_hands,
                                                                 sample_hand_parameters)
    from tools.analysis.analyze_pseudo_labels import score
    rng = np.random.default_rng(3)
    gt = build_hands([sample_hand_parameters(rng, PoseDistribution()) for _ in range(4)])
    gt = gt @ PALM_TO_CAMERA.T + np.array([10.0, -5.0, 450.0])
    K = np.array([[300.0, 0.0, 64.0], [0.0, 300.0, 64.0], [0.0, 0.0, 1.0]])
    uv = gt[..., :2] / gt[..., 2:] * 300.0 + 64.0
    bone = np.linalg.norm(gt[:, REF_BONE[1]] - gt[:, REF_BONE[0]], axis=-1)
    z_rel = (gt[..., 2] - gt[:, ROOT_INDEX, None, 2]) / bone[:, None]
    labels = dict(uv=torch.tensor(uv), joints=torch.tensor(gt),
                  K=torch.tensor(np.broadcast_to(K, (4, 3, 3)).copy()))
    keep = torch.tensor([True, True, False, True])
    fused = dict(uv=torch.tensor(uv), z_rel=torch.tensor(z_rel),
                 confidence=torch.tensor(rng.uniform(0.5, 1.0, (4, 21))))
    exact = score(fused, labels, keep)
    assert exact['epe3d_mm'] == pytest.approx(0.0, abs=1e-6)
    assert exact['auc3d'] == pytest.approx(1.0)
    assert exact['epe2d_px'] == pytest.approx(0.0, abs=1e-9)

    off = z_rel.copy()
    off[:, 20] += 1.25
    rays = np.concatenate([uv[:, 20] - 64.0, np.full((4, 1), 300.0)], 1) / 300.0
    moved = 1.25 * bone * np.linalg.norm(rays, axis=-1)  # mm, one per hand
    assert (moved > 50.0).all()
    wrong = score(dict(fused, z_rel=torch.tensor(off)), labels, keep)
    assert wrong['epe3d_mm'] == pytest.approx(moved.mean() / 21, rel=1e-6)
    assert wrong['auc3d'] == pytest.approx(20 / 21)
    assert wrong['epe2d_px'] == pytest.approx(0.0, abs=1e-9)

    # a hand left out of the kept set, 5 px off in every joint, counts in the 2D error only
    shifted = uv.copy()
    shifted[2] += np.array([3.0, 4.0])
    out = score(dict(fused, uv=torch.tensor(shifted)), labels, keep)
    assert out['epe2d_px'] == pytest.approx(5.0 / 4)
    assert out['kept_epe2d_px'] == pytest.approx(0.0, abs=1e-9)
