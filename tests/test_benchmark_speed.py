# Copyright (c) semihand_mmpose authors. All rights reserved.
"""The speed benchmarks run end to end on small inputs, and their figures hold together.

The speeds themselves are measured by running the scripts (README, "Benchmarks"), never here."""
import json
import os
import os.path as osp

import pytest
import torch

from semihand_mmpose.biomech import BiomechanicalCorrector
from tools.benchmarks import benchmark_corrector, benchmark_foundation, benchmark_overhead

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(autouse=True)
def _keep_threads():
    """The scripts set torch's thread count; the rest of the suite keeps its own."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def _json_line(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_least_squares_baseline_solves_the_correctors_problem():
    """The per-sample baseline is a fair comparison: its poses are feasible (the corrector leaves
    them where they are) and, per pose, no farther from the noisy input than the corrector's."""
    corrector = BiomechanicalCorrector()
    noisy = benchmark_corrector.noisy_poses(4, noise=6.0, seed=3)
    baseline = benchmark_corrector.least_squares_correct(corrector, noisy)
    again, displacement = corrector(baseline)
    assert torch.allclose(again, baseline, atol=1e-9)
    assert float(displacement.abs().max()) < 1e-9
    ours, _ = corrector(noisy)
    assert float((ours - noisy).abs().max()) > 1.0  # the noisy hands needed a correction
    assert ((baseline - noisy) ** 2).sum((1, 2)).le(((ours - noisy) ** 2).sum((1, 2)) + 1e-6).all()


def test_corrector_benchmark_prints_its_figures_and_a_json_line(capsys):
    figures = benchmark_corrector.main(
        ['--batch', '128', '--repeats', '2', '--baseline-poses', '2', '--threads', '1'])
    assert _json_line(capsys.readouterr().out) == pytest.approx(figures)
    assert figures['batch'] == 128
    assert figures['speedup'] == pytest.approx(
        figures['corrector_poses_per_s'] / figures['baseline_poses_per_s'])
    assert figures['fraction_corrected'] > 0.5  # 6 mm of joint noise makes most hands infeasible
    assert figures['float32_max_diff_mm'] < 0.01
    assert figures['mean_move_mm_least_squares'] > 0


def test_overhead_benchmark_runs_a_small_config(tmp_path, capsys):
    data = dict(data_root=str(tmp_path), num_samples=6, image_size=64)
    options = ['train_dataloader.batch_size=2', 'train_dataloader.sampler.batch_size=2',
               'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False']
    for i in (0, 1):
        options += [f'train_dataloader.dataset.datasets.{i}.{k}={v}' for k, v in data.items()]
    config = osp.join(ROOT, 'configs', 'semihand_synth_finetune.py')
    figures = benchmark_overhead.main(
        [config, '--steps', '3', '--warmup', '0', '--threads', '1', '--cfg-options'] + options)
    assert _json_line(capsys.readouterr().out) == figures
    # both splits were generated where the options said, small
    assert sorted(p.split('-')[0] for p in os.listdir(tmp_path)) == ['source', 'target']
    assert figures['step_ms'] > 0 and figures['networks_ms'] > 0
    assert figures['small_map_conv_grad'] is True  # the config trains with the hook
    assert figures['overhead_fraction'] == pytest.approx(
        1 - figures['networks_ms'] / figures['step_ms'], abs=1e-3)
    low, high = figures['overhead_paired_quartiles']
    assert low <= figures['overhead_paired_median'] <= high
    with pytest.raises(SystemExit):
        benchmark_overhead.parse_args(['--steps', '1'])


@pytest.mark.parametrize('conv_grad_options,batched', [
    ([], True),  # as configs/_base_/default_runtime.py trains
    (['default_hooks.small_map_conv_grad.max_pixels=0'], False)],  # the documented off switch
    ids=['default', 'small_map_conv_grad_off'])
def test_foundation_benchmark_runs_a_small_config(tmp_path, capsys, conv_grad_options, batched):
    figures = benchmark_foundation.main(
        ['--config', osp.join(ROOT, 'configs', 'pretrain_synth.py'), '--num-images', '3',
         '--image-size', '64', '--nproc', '1', '--steps', '1', '--train-samples', '8',
         '--data-root', str(tmp_path), '--cfg-options', 'train_dataloader.batch_size=2',
         'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False']
        + conv_grad_options)
    assert _json_line(capsys.readouterr().out) == figures
    assert figures['batch_size'] == 2
    assert figures['small_map_conv_grad'] is batched
    assert figures['images_per_s'] == pytest.approx(2 / figures['step_s'])
    assert figures['gen_source_images_per_s'] > 0 and figures['gen_target_images_per_s'] > 0
    assert os.listdir(tmp_path) == []  # the generation benchmark removes what it wrote
