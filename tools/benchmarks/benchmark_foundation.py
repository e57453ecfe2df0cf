# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Foundation figures: synthetic generation speed, training speed and peak memory.

Prints a table and one JSON line. Not a test: run it on an otherwise idle machine::

    python tools/benchmarks/benchmark_foundation.py --config configs/pretrain_synth.py
"""
import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from typing import Optional

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from semihand_mmpose.engine.hooks import SmallMapConv2d, SmallMapConvGradHook


def generation_speed(domain: str, num: int, size: int, nproc: int, data_root: str) -> float:
    """Images/s of writing a split under ``data_root`` (where configs cache their splits: the
    file system matters, /tmp is several times slower for small files on some machines)."""
    from semihand_mmpose.datasets.synthetic.generator import write_split
    os.makedirs(data_root, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=data_root) as tmp:
        start = time.perf_counter()
        write_split(os.path.join(tmp, domain), domain, num, seed=123, image_size=size, nproc=nproc)
        return num / (time.perf_counter() - start)


def training_speed(config: str, steps: int, data_root: str, num_samples: int = 2048,
                   cfg_options: Optional[dict] = None) -> dict:
    """Median time of a supervised ``train_step`` of ``config`` (after two warm-up steps), on
    ``num_samples`` training images generated under ``data_root``, which also holds the run's
    work dir. The convolutions are those training runs: with the config's
    ``SmallMapConvGradHook``, unless it switches the hook off."""
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.work_dir = os.path.join(data_root, 'work_dir')
    # the Runner's logger and visualizer are process-wide instances looked up by name (the
    # experiment's, to the second, and MMPose's 'visualizer'): a second call in one process would
    # get the first call's, which write into the folder that call has removed
    cfg.experiment_name = f'benchmark_foundation_{time.time_ns()}'
    if cfg.get('visualizer'):
        cfg.visualizer.name = cfg.experiment_name
    cfg.train_dataloader.dataset.data_root = data_root
    cfg.train_dataloader.dataset.num_samples = num_samples
    init_default_scope('mmpose')
    runner = Runner.from_cfg(cfg)
    loader = runner.build_dataloader(cfg.train_dataloader)
    model = runner.model
    for hook in runner.hooks:
        if isinstance(hook, SmallMapConvGradHook):
            hook.before_train(runner)
    conv_grad = any(isinstance(m, SmallMapConv2d) for m in model.modules())
    optim = runner.build_optim_wrapper(cfg.optim_wrapper)
    model.train()
    batches = iter(loader)
    times = []
    for i in range(steps + 2):
        batch = next(batches)
        start = time.perf_counter()
        model.train_step(batch, optim)
        if i >= 2:  # warm-up
            times.append(time.perf_counter() - start)
    step = statistics.median(times)
    bs = cfg.train_dataloader.batch_size
    return dict(step_s=step, images_per_s=bs / step, batch_size=bs,
                input_size=list(cfg.codec.input_size), backbone=cfg.model.backbone.type,
                small_map_conv_grad=conv_grad)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default='configs/pretrain_synth.py')
    parser.add_argument('--num-images', type=int, default=2000)
    parser.add_argument('--image-size', type=int, default=128)
    parser.add_argument('--nproc', type=int, default=os.cpu_count())
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--train-samples', type=int, default=2048,
                        help='images generated for the training benchmark')
    parser.add_argument('--data-root', default='data/synthetic_hands',
                        help='where the generation benchmark writes (the configs\' cache folder)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, as in tools/train.py')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.nproc)

    figures = dict(cpus=os.cpu_count(), torch=torch.__version__)
    for domain in ('source', 'target'):
        figures[f'gen_{domain}_images_per_s'] = generation_speed(
            domain, args.num_images, args.image_size, args.nproc, args.data_root)
    with tempfile.TemporaryDirectory() as data_root:
        figures.update(training_speed(args.config, args.steps, data_root, args.train_samples,
                                      args.cfg_options))
    figures['peak_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f'generation at {args.image_size} px, {args.nproc} processes: '
          f'source {figures["gen_source_images_per_s"]:.0f} images/s, '
          f'target {figures["gen_target_images_per_s"]:.0f} images/s')
    print(f'training {figures["backbone"]} at {figures["input_size"]} px, batch '
          f'{figures["batch_size"]}: {figures["step_s"]:.3f} s/step, '
          f'{figures["images_per_s"]:.1f} images/s (batched small-map weight gradients: '
          f'{figures["small_map_conv_grad"]})')
    print(f'peak memory (RSS of this process): {figures["peak_rss_mb"]:.0f} MB')
    print(json.dumps(figures))
    return figures


if __name__ == '__main__':
    main()
