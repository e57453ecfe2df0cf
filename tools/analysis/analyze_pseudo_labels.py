# Copyright (c) semihand_mmpose authors. All rights reserved.
"""How good would a round's pseudo-labels be with other teacher views or another corrector?

The model of a checkpoint labels the unlabelled set of a SemiHand config (with the target
batch-norm statistics the config's ``SemiHandHook`` would use) once per candidate view; every set
of views is then fused by the config's ``PseudoLabeller`` and scored against the unlabelled images'
hidden labels (the hook's ``label_dataset``): 2D error (px), 3D error and AUC over 20-50 mm (root
relative, ground-truth bone scale, as ``Hand3DMetric``), the 2D error of the hands that the
config's selection keeps, and the Spearman correlation between confidence and 2D error. The
predictions are made once, so trying view sets and correctors is cheap.

Example::

    python tools/analysis/analyze_pseudo_labels.py configs/semihand_synth_finetune.py \\
        work_dirs/pretrain_synth/iter_850.pth --num-samples 1500 \\
        --sets orig orig,rot+15,rot-15 orig,rot+25/s0.9,rot-25/s1.1/shift \\
        --limits-file work_dirs/limits/synth_source.npz

``--true-parts`` adds the best set with its pixels, then its depths, then both replaced by the
hidden labels': where its 3D error lies, and a check of the labels themselves.
"""
import argparse
import copy
import json
from typing import Dict, List

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmengine.utils import ProgressBar

#: candidate teacher views: name -> FixedBBoxTransform arguments ('orig' is the plain crop)
CANDIDATES: Dict[str, dict] = {
    'orig': {},
    'rot+10': dict(rotation=10.0),
    'rot-10': dict(rotation=-10.0),
    'rot+15': dict(rotation=15.0),
    'rot-15': dict(rotation=-15.0),
    'rot+25': dict(rotation=25.0),
    'rot-25': dict(rotation=-25.0),
    's0.9': dict(scale=0.9),
    's1.1': dict(scale=1.1),
    'shift+': dict(shift=(0.05, 0.05)),
    'shift-': dict(shift=(-0.05, -0.05)),
    'rot+25/s0.9': dict(rotation=25.0, scale=0.9),
    'rot-25/s1.1/shift': dict(rotation=-25.0, scale=1.1, shift=(0.05, -0.05)),
}
DEFAULT_SETS = ['orig', 'orig,rot+15,rot-15', 'orig,rot+10,rot-10', 'orig,rot+25,rot-25',
                'orig,s0.9,s1.1', 'orig,shift+,shift-', 'orig,rot+25/s0.9,rot-25/s1.1/shift']


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Pseudo-label quality per set of teacher views')
    parser.add_argument('config', help='a SemiHand config (its SemiHandHook needs label_dataset)')
    parser.add_argument('checkpoint', help='the model that labels (stage 1 or a stage-2 round)')
    parser.add_argument('--num-samples', type=int, default=1500,
                        help='unlabelled hands to label (the first ones of the set)')
    parser.add_argument('--sets', nargs='+', default=DEFAULT_SETS,
                        help='view sets, each a comma-separated list of names from: '
                        + ', '.join(CANDIDATES))
    parser.add_argument('--limits-file', default=None,
                        help='also score the best set with the corrector built from this table')
    parser.add_argument('--true-parts', action='store_true',
                        help='also score the best set with its pixels, its depths, and both '
                        'replaced by the hidden labels\' (how much of the 3D error is 2D, how '
                        'much depth; with both, 0 mm unless the labels\' K or depths disagree)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, as in tools/train.py')
    return parser.parse_args(argv)


def _hook_cfg(cfg: Config) -> dict:
    from semihand_mmpose.apis.export import semihand_hook_cfg
    hook = semihand_hook_cfg(cfg)
    if hook is None:
        raise ValueError(f'{cfg.filename}: no SemiHandHook in custom_hooks')
    hook = copy.deepcopy(hook)
    if hook.get('label_dataset') is None or hook.get('pseudo_dataloader') is None:
        raise ValueError(f'{cfg.filename}: the SemiHandHook needs pseudo_dataloader and '
                         'label_dataset (the unlabelled images with their hidden labels)')
    return hook


def _views_pipeline(cfg: Config, hook_cfg: dict, names: List[str]) -> list:
    """The hook's pseudo-labelling pipeline with one teacher branch per candidate view."""
    pipeline = copy.deepcopy(hook_cfg['pseudo_dataloader']['dataset']['pipeline'])
    branch = [i for i, t in enumerate(pipeline) if t['type'] in ('mmdet.MultiBranch',
                                                                  'MultiBranch')]
    if not branch:
        raise ValueError(f'{cfg.filename}: the pseudo-labelling pipeline has no MultiBranch step')
    template = pipeline[branch[0]]['unsup_teacher']  # [HandAffine, PackHand3DInputs]
    branches = {}
    for name in names:
        extra = [dict(type='FixedBBoxTransform', **CANDIDATES[name])] if CANDIDATES[name] else []
        branches[_branch(names, name)] = extra + copy.deepcopy(template)
    pipeline[branch[0]] = dict(type='mmdet.MultiBranch', branch_field=list(branches), **branches)
    return pipeline


def _branch(names: List[str], name: str) -> str:
    """The original view is the hook's ``unsup_teacher`` branch (batch-norm statistics are
    estimated on it); the others get numbered branches."""
    return 'unsup_teacher' if name == 'orig' else f'unsup_teacher_{names.index(name):02d}'


@torch.no_grad()
def predict_views(model, hook, names: List[str], num_samples: int) -> dict:
    """Every view's prediction (crop pixels, ``z_rel``), crop matrices, ``K``, ids."""
    loader = hook._get_loader()
    network = model.student
    network.eval()
    out = dict(uv=[], z=[], mats=[], K=[], ids=[], left=[])
    progress = ProgressBar(min(num_samples, len(loader.dataset)))
    count = 0
    for data in loader:
        data = model.data_preprocessor(data, True)
        inputs, samples = data['inputs'], data['data_samples']
        keys = [_branch(names, name) for name in names]
        uvs, zs, mats = zip(*[(*model._forward_25d(network, inputs[k])[:2],
                               model._matrices(samples[k])) for k in keys])
        ref = samples[keys[0]]
        out['uv'].append(torch.stack(uvs).double())
        out['z'].append(torch.stack(zs).double())
        out['mats'].append(torch.stack(mats))
        out['K'].append(torch.as_tensor(np.stack([np.asarray(s.metainfo['K']) for s in ref])))
        out['ids'] += [int(s.metainfo['id']) for s in ref]
        out['left'] += [s.metainfo.get('hand_side', 'right') == 'left' for s in ref]
        for _ in ref:
            progress.update()
        count += len(ref)
        if count >= num_samples:
            break
    print()
    n = min(count, num_samples)
    return dict(uv=torch.cat(out['uv'], 1)[:, :n], z=torch.cat(out['z'], 1)[:, :n],
                mats=torch.cat(out['mats'], 1)[:, :n], K=torch.cat(out['K'])[:n].double(),
                ids=out['ids'][:n], is_left=torch.tensor(out['left'][:n]))


def score(fused: dict, labels: dict, keep: torch.Tensor) -> dict:
    """Errors of fused pseudo-labels against the hidden labels, in 3D under ``Hand3DMetric``'s
    default protocol (root-relative, scaled to the ground truth's reference bone)."""
    from semihand_mmpose.biomech.skeleton import reference_length
    from semihand_mmpose.evaluation.metrics.hand3d_metric import joint_errors, pck_auc
    from semihand_mmpose.geometry import lift_25d_to_3d
    gt_uv, gt3, K = labels['uv'], labels['joints'], labels['K']
    bone = reference_length(gt3)
    joints = lift_25d_to_3d(fused['uv'].double(), fused['z_rel'].double(), K, bone).numpy()
    valid = np.ones(joints.shape[1], bool)
    err3 = np.stack([joint_errors(p, g, valid, 'root', 'gt_bone')
                     for p, g in zip(joints, gt3.double().numpy())])
    _, _, auc, epe, _ = pck_auc(list(err3.T), 20.0, 50.0, 20)
    err2 = (fused['uv'].double() - gt_uv).norm(dim=-1).mean(-1).numpy()
    conf = fused['confidence'].double().mean(-1).numpy()
    rank = (lambda a: np.argsort(np.argsort(a)))  # Spearman: correlation of ranks
    rho = float(np.corrcoef(rank(conf), rank(err2))[0, 1]) if conf.std() > 0 else float('nan')
    return dict(epe2d_px=float(err2.mean()), epe3d_mm=epe, auc3d=auc,
                kept_epe2d_px=float(err2[keep.numpy()].mean()), spearman_conf_err2d=rho)


def true_parts(name: str, fused: dict, labels: dict, selection: dict) -> Dict[str, dict]:
    """Rows of ``fused`` scored with its pixels, its depths, and both taken from the hidden
    labels: the 3D error left with true pixels is the depths' share, with true depths the
    pixels'. With both the lift gives the labels' own 3D joints back, so a row far from 0 mm
    says the labels' pixels, depths and ``K`` disagree (e.g. a converter's convention)."""
    from semihand_mmpose.biomech.skeleton import reference_length
    from semihand_mmpose.models.semi import select
    gt3 = labels['joints']
    bone = reference_length(gt3)
    true = dict(uv=labels['uv'], z_rel=(gt3[..., 2] - gt3[:, :1, 2]) / bone[:, None])
    keep = select(fused['confidence'], **selection)
    return {f'{name} ({tag})': score(dict(fused, **{k: true[k] for k in keys}), labels, keep)
            for tag, keys in (('true pixels', ['uv']), ('true depths', ['z_rel']),
                              ('true pixels and depths', ['uv', 'z_rel']))}


def main(argv=None) -> dict:
    args = parse_args(argv)
    import semihand_mmpose  # noqa: F401  (registers the modules, patches checkpoint loading)
    from mmpose.registry import DATASETS, HOOKS, MODELS, TASK_UTILS

    from semihand_mmpose.models.semi import select
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    if cfg.get('custom_imports'):
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**cfg.custom_imports)
    sets = [s.split(',') for s in args.sets]
    unknown = sorted({n for s in sets for n in s if n not in CANDIDATES})
    if unknown:
        raise ValueError(f'unknown view name(s) {unknown}; known: {list(CANDIDATES)}')
    # the original view always: the target statistics are estimated on it, as in a round
    names = sorted({n for s in sets for n in s} | {'orig'}, key=list(CANDIDATES).index)

    hook_cfg = _hook_cfg(cfg)
    hook_cfg['pseudo_dataloader']['dataset']['pipeline'] = _views_pipeline(cfg, hook_cfg, names)
    hook = HOOKS.build(hook_cfg)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    if hook.adapt_bn_batches > 0:
        hook.adapt_batch_norm(model, model.student)
    views = predict_views(model, hook, names, args.num_samples)

    dataset = DATASETS.build(hook_cfg['label_dataset'])
    info = {int(dataset.get_data_info(i)['id']): dataset.get_data_info(i)
            for i in range(len(dataset))}
    labels = dict(uv=torch.as_tensor(np.stack([info[i]['keypoints'][0] for i in views['ids']])),
                  joints=torch.as_tensor(np.stack([info[i]['keypoints_3d'][0]
                                                   for i in views['ids']])),
                  K=views['K'])
    labels = {k: v.double() for k, v in labels.items()}
    semi_cfg = cfg.model['semi_train_cfg']
    labeller_cfg = semi_cfg.get('pseudo_labeller', dict(type='PseudoLabeller'))
    selection = semi_cfg.get('selection', dict(mode='threshold', value=0.3))

    def fuse(view_names, labeller):
        idx = [names.index(n) for n in view_names]
        return labeller(views['uv'][idx], views['z'][idx], views['mats'][idx], views['K'],
                        float(max(model.input_size)), views['is_left'])

    rows = {}
    single = TASK_UTILS.build(dict(labeller_cfg, corrector=None))
    for name in names:  # each view alone, uncorrected
        fused = fuse([name], single)
        rows[f'view {name}'] = score(fused, labels, torch.ones(len(views['ids']), dtype=bool))
    labeller = TASK_UTILS.build(labeller_cfg)
    for view_set in sets:
        fused = fuse(view_set, labeller)
        rows[f'set {",".join(view_set)}'] = score(fused, labels,
                                                  select(fused['confidence'], **selection))
    best = min((s for s in sets), key=lambda s: rows[f'set {",".join(s)}']['epe3d_mm'])
    if args.true_parts:
        rows.update(true_parts(f'set {",".join(best)}', fuse(best, labeller), labels, selection))
    if args.limits_file:
        for tag, corrector in (('no corrector', None),
                               ('limits file', dict(type='BiomechanicalCorrector',
                                                    limits_file=args.limits_file))):
            fused = fuse(best, TASK_UTILS.build(dict(labeller_cfg, corrector=corrector)))
            rows[f'set {",".join(best)} ({tag})'] = score(
                fused, labels, select(fused['confidence'], **selection))

    print(f'{len(views["ids"])} unlabelled hands, labelled by {args.checkpoint}')
    print('| views | 2D error (px) | 3D error (mm) | 3D AUC 20-50 | kept 2D error (px) | '
          'Spearman(conf, 2D error) |')
    print('|---|---|---|---|---|---|')
    for key, r in rows.items():
        print(f'| {key} | {r["epe2d_px"]:.2f} | {r["epe3d_mm"]:.2f} | {r["auc3d"]:.4f} | '
              f'{r["kept_epe2d_px"]:.2f} | {r["spearman_conf_err2d"]:.3f} |')
    print(json.dumps(rows))
    return rows


if __name__ == '__main__':
    main()
