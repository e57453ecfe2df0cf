# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Framework overhead of a SemiHand training step.

Times one full semi-supervised step of a config (``model.train_step``: branch splitting and
normalisation, the supervised loss, stored pseudo-labels carried into the student's crop,
perturbation and cross-modal consistency, the soft mask rasteriser, backward, optimiser step)
against the networks' own work on the same batch: the student's backbone, pose head and mask
head run forward on the labelled and strong inputs and backward from the sum of their outputs, the
backbone and pose head run forward on the weak input without gradients (as the step's stop-gradient
target), and the same optimiser step. The difference is what SemiHand's plumbing costs. Batches are
loaded before timing, so data loading counts in neither. Prints figures and one JSON line::

    python tools/benchmarks/benchmark_overhead.py configs/semihand_synth_finetune.py --steps 20
"""
import argparse
import json
import statistics
import time

import torch
from mmengine.config import Config, DictAction
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.utils import import_modules_from_strings
from mmpose.registry import HOOKS, MODELS

from semihand_mmpose.engine.hooks import use_small_map_conv_grad
from semihand_mmpose.models.semi.semihand_estimator import STUDENT, SUP, TEACHER


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', default='configs/semihand_synth_finetune.py')
    parser.add_argument('--steps', type=int, default=20, help='timed steps (at least 2)')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, as in tools/train.py')
    args = parser.parse_args(argv)
    if args.steps < 2:
        parser.error(f'--steps must be at least 2 (the quartiles need two batches), '
                     f'got {args.steps}')
    return args


def networks_step(model, data: dict, optim_wrapper) -> None:
    """The student's own passes on every branch a SemiHand step feeds it, and the optimiser step:
    the labelled batch and the strong view in a forward each, or in one with ``joint_forward``."""
    student, inputs = model.student, data['inputs']
    total = 0.0
    together = model.semi_train_cfg['joint_forward']
    for batch in ([torch.cat([inputs[SUP], inputs[STUDENT]])] if together else
                  [inputs[SUP], inputs[STUDENT]]):
        feats = student.extract_feat(batch)
        coords, z_rel, _ = student.head.forward(feats)
        total = total + coords.sum() + z_rel.sum()
        if student.with_mask_head:
            total = total + student.mask_head.forward(feats).sum()
    with torch.no_grad():  # the weak view is a stop-gradient target in SemiHand's step
        student.head.forward(student.extract_feat(inputs[TEACHER]))
    optim_wrapper.update_params(total * 1e-6)


def timed(fns, steps: int, warmup: int) -> list:
    """Per function, its times on batches ``warmup..warmup+steps``; the functions alternate on
    every batch, so drifts of the machine hit both alike."""
    for i in range(warmup):
        for fn in fns:
            fn(i)
    times = [[] for _ in fns]
    for i in range(steps):
        for fn, row in zip(fns, times):
            start = time.perf_counter()
            fn(warmup + i)
            row.append(time.perf_counter() - start)
    return times


def main(argv=None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    torch.manual_seed(0)

    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    iterator = iter(loader)
    batches = [next(iterator) for _ in range(args.warmup + args.steps)]
    del iterator

    model = MODELS.build(cfg.model)
    model.train()
    # the convolutions as the runner trains them (SmallMapConvGradHook, unless switched off)
    conv_grad = cfg.get('default_hooks', {}).get('small_map_conv_grad')
    swapped = use_small_map_conv_grad(model, HOOKS.build(conv_grad).max_pixels) if conv_grad else 0
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    # offline pseudo-labels for the benchmark's own images, from the model's teacher views
    for batch in batches:
        data = model.data_preprocessor(batch, True)
        fused = model.predict_pseudo_labels(data['inputs'], data['data_samples'])
        for i, sample in enumerate(data['data_samples'][TEACHER]):
            model.pseudo_store[int(sample.metainfo['id'])] = (
                fused['uv'][i].float().numpy(), fused['z_rel'][i].float().numpy(),
                fused['confidence'][i].float().numpy(), True)
    model.semi_enabled = True
    preprocessed = [model.data_preprocessor(batch, True) for batch in batches]

    step_times, net_times = timed(
        [lambda i: model.train_step(batches[i], optim_wrapper),
         lambda i: networks_step(model, preprocessed[i], optim_wrapper)], args.steps, args.warmup)
    step, nets = statistics.median(step_times), statistics.median(net_times)
    overhead = (step - nets) / step
    # the same figure per batch (each step against the networks' pass right after it), whose
    # quartiles say how far one run's figure can be trusted on a shared machine: runs of 30 steps
    # on 2 cores have given from -2.7% to 4.9%, with per-batch quartiles about 6 points apart
    paired = [(s - n) / s for s, n in zip(step_times, net_times)]
    q1, paired_median, q3 = statistics.quantiles(paired, n=4)
    sizes = {k: int(v.shape[0]) for k, v in preprocessed[0]['inputs'].items()
             if k in (SUP, STUDENT, TEACHER)}
    print(f'config: {args.config}; batch per branch: {sizes}; threads: {args.threads}; '
          f'batched small-map weight gradients: {swapped > 0}')
    print(f'SemiHand train_step:            {step * 1000:8.1f} ms (median of {args.steps})')
    print(f'networks forward+backward+step: {nets * 1000:8.1f} ms')
    print(f'framework overhead:             {overhead * 100:8.1f} % of a step')
    print(f'  paired per batch:             {paired_median * 100:8.1f} % '
          f'(quartiles {q1 * 100:.1f} to {q3 * 100:.1f} %)')
    figures = dict(benchmark='overhead', config=args.config, threads=args.threads,
                   small_map_conv_grad=swapped > 0,
                   step_ms=round(step * 1000, 2), networks_ms=round(nets * 1000, 2),
                   overhead_fraction=round(overhead, 4),
                   overhead_paired_median=round(paired_median, 4),
                   overhead_paired_quartiles=[round(q1, 4), round(q3, 4)])
    print(json.dumps(figures))
    return figures


if __name__ == '__main__':
    main()
