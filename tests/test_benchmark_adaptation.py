# Copyright (c) semihand_mmpose authors. All rights reserved.
"""The adaptation benchmark's bookkeeping: seeds, parallel runs, gap closed (training faked)."""
import importlib.util
import json
import os
import os.path as osp
import statistics
import sys
import threading

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

#: target AUC of each (run, seed) that the fake training "reaches"
AUC = {('source_only', 0): 0.30, ('oracle', 0): 0.70, ('semihand', 0): 0.50,
       ('semihand', 1): 0.54, ('semihand', 2): 0.49, ('no_pert', 0): 0.45, ('no_pert', 1): 0.47,
       ('no_pert', 2): 0.40, ('source_only_long', 0): 0.35, ('oracle_long', 0): 0.80,
       ('semihand_long', 0): 0.60, ('semihand_long', 1): 0.62, ('no_selection_long', 0): 0.61,
       ('no_selection_long', 1): 0.60, ('source_only_photometric', 0): 0.48,
       ('semihand_photometric', 0): 0.46, ('continued_photometric', 0): 0.47,
       ('labelled_photometric', 0): 0.47, ('no_pseudo_photometric', 0): 0.49,
       ('no_pseudo', 0): 0.51}


def _load_benchmark():
    spec = importlib.util.spec_from_file_location(
        'benchmark_adaptation', osp.join(ROOT, 'tools', 'benchmarks', 'benchmark_adaptation.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def bench(monkeypatch):
    module = _load_benchmark()
    calls, lock = [], threading.Lock()
    # every fake run trains to iteration 1 (a test that needs a longer run patches this again)
    monkeypatch.setattr(module, 'configured_train_cfg',
                        lambda config, cfg_options: dict(max_iters=1))

    def fake_train(name, config, work_dir, load_from=None, seed=None, log_file=None,
                   threads=None, cfg_options=(), resume=False):
        with lock:
            calls.append(('train', name, load_from, seed, log_file) + tuple(cfg_options)
                         + (('--resume',) if resume else ()))
        os.makedirs(work_dir, exist_ok=True)
        checkpoint = osp.join(
            work_dir,
            f'iter_{module.configured_train_cfg(config, tuple(cfg_options))["max_iters"]}.pth')
        open(checkpoint, 'wb').close()
        with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
            f.write(checkpoint)

    def fake_test(name, config, checkpoint, work_dir, log_file=None, threads=None,
                  cfg_options=(), split='test'):
        run = osp.basename(work_dir).split('-seed')
        key = (run[0], int(run[1]) if len(run) > 1 else 0)
        with lock:
            calls.append(('test', name, checkpoint) + tuple(cfg_options)
                         + ((split,) if split != 'test' else ()))
        # the held-out split scores every run 0.01 lower
        auc = AUC[key] - (0.01 if split == 'val' else 0.0)
        with open(osp.join(work_dir, f'{split}.pck.json'), 'w') as f:
            json.dump(dict(synthetic_target=dict(auc=auc, epe=100 * (1 - auc))), f)

    monkeypatch.setattr(module, 'train', fake_train)
    monkeypatch.setattr(module, 'test', fake_test)
    monkeypatch.setattr(module, 'plot', lambda results, out_dir, split='test': None)
    return module, calls


def _main(module, monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, 'argv', ['benchmark_adaptation.py'] + list(args))
    module.main()
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_seeds_and_jobs_average_and_close_the_gap(bench, tmp_path, monkeypatch, capsys):
    module, calls = bench
    out = str(tmp_path / 'bench')
    results = _main(module, monkeypatch, capsys, '--out-dir', out, '--runs', 'source_only',
                    'oracle', 'semihand', 'no_pert', '--seeds', '0', '1', '2', '--jobs', '3')
    # stage 1 once, without a seed; every stage-2 run once per seed, from stage 1's checkpoint,
    # each logging to its own work dir (several run at once)
    trains = sorted(c[1:] for c in calls if c[0] == 'train')
    start = osp.join(out, 'source_only', 'iter_1.pth')
    assert trains[:2] == [('no_pert', start, 0, osp.join(out, 'no_pert', 'benchmark.log')),
                          ('no_pert-seed1', start, 1,
                           osp.join(out, 'no_pert-seed1', 'benchmark.log'))]
    assert ('oracle', None, None, osp.join(out, 'oracle', 'benchmark.log')) in trains
    assert ('source_only', None, None, osp.join(out, 'source_only', 'benchmark.log')) in trains
    assert len(trains) == 2 + 2 * 3
    semihand = [AUC[('semihand', s)] for s in range(3)]
    assert results['semihand']['target_auc'] == pytest.approx(statistics.fmean(semihand))
    assert results['semihand']['target_auc_std'] == pytest.approx(statistics.stdev(semihand))
    assert results['semihand']['seeds']['1']['target_auc'] == 0.54
    # gap closed from the mean: (0.51 - 0.30) / (0.70 - 0.30)
    assert results['semihand']['gap_closed'] == pytest.approx(0.525)
    assert results['no_pert']['gap_closed'] == pytest.approx((0.44 - 0.30) / 0.40)
    # no_pert - semihand per seed: -0.05, -0.07, -0.09
    assert results['no_pert']['vs_semihand'] == pytest.approx(-0.07)
    assert results['no_pert']['vs_semihand_std'] == pytest.approx(0.02)
    assert 'vs_semihand' not in results['semihand']
    assert 'gap_closed' not in results['oracle']
    assert 'target_auc_std' not in results['source_only']


def test_cfg_options_change_stage_2_only_and_stage_1_comes_from_its_dir(bench, tmp_path,
                                                                         monkeypatch, capsys):
    """A table at another setting: the options reach every stage-2 run's training and test and
    no stage-1 run's, and stage 1 is reused from ``--stage1-dir``, not trained again."""
    module, calls = bench
    first = str(tmp_path / 'bench')
    _main(module, monkeypatch, capsys, '--out-dir', first, '--runs', 'source_only', 'oracle')
    calls.clear()
    other = str(tmp_path / 'other')
    results = _main(module, monkeypatch, capsys, '--out-dir', other, '--stage1-dir', first,
                    '--runs', 'source_only', 'oracle', 'semihand', '--reuse', '--cfg-options',
                    'model.semi_train_cfg.pseudo_weight=0.25', 'train_cfg.max_iters=2')
    start = osp.join(first, 'source_only', 'iter_1.pth')
    assert calls == [('train', 'semihand', start, 0, None,
                      'model.semi_train_cfg.pseudo_weight=0.25', 'train_cfg.max_iters=2'),
                     ('test', 'semihand', osp.join(other, 'semihand', 'iter_1.pth'),
                      'model.semi_train_cfg.pseudo_weight=0.25', 'train_cfg.max_iters=2')]
    assert not osp.exists(osp.join(other, 'source_only'))
    assert results['semihand']['gap_closed'] == pytest.approx(0.5)  # (0.50 - 0.30) / 0.40
    with pytest.raises(SystemExit):
        _main(module, monkeypatch, capsys, '--out-dir', other, '--cfg-options', 'pseudo_weight')


def test_cfg_options_that_erase_a_runs_own_setting_are_refused(bench, tmp_path, monkeypatch,
                                                               capsys):
    """An option on a key that a run sets on purpose (``no_pseudo``'s weight 0, the long run's
    600 iterations) would make it another run: refused before anything trains, naming the run,
    the key and both values; a run already tested and reused is not touched, so it may stay."""
    module, calls = bench
    first = str(tmp_path / 'bench')
    _main(module, monkeypatch, capsys, '--out-dir', first, '--runs', 'source_only')
    calls.clear()
    for runs, option, words in (
            (['semihand', 'no_pseudo'], 'model.semi_train_cfg.pseudo_weight=0.25',
             ['model.semi_train_cfg.pseudo_weight is 0.0 in no_pseudo',
              'semihand_synth_no_pseudo.py', '1.0 in semihand']),
            (['semihand_long'], 'train_cfg.max_iters=50',
             ['train_cfg.max_iters is 600 in semihand_long', '300 in semihand']),
            (['semihand_long'], 'custom_hooks.1.round_interval=20',
             ['custom_hooks.1.round_interval is 150 in semihand_long'])):
        with pytest.raises(SystemExit):
            _main(module, monkeypatch, capsys, '--out-dir', str(tmp_path / 'other'),
                  '--stage1-dir', first, '--runs', *runs, '--cfg-options', option)
        err = capsys.readouterr().err
        assert all(word in err for word in words), err
    assert calls == []
    # the ablations that share the key's value with semihand pass (and so does a key no config
    # sets); no_pseudo, already tested in this out-dir, is reused untouched
    other = str(tmp_path / 'other')
    _main(module, monkeypatch, capsys, '--out-dir', other, '--stage1-dir', first, '--runs',
          'no_pseudo')
    calls.clear()
    _main(module, monkeypatch, capsys, '--out-dir', other, '--stage1-dir', first, '--runs',
          'no_pert', 'no_pseudo', '--reuse', '--cfg-options',
          'model.semi_train_cfg.pseudo_weight=0.25', 'model.unset_here=1')
    assert [c[:2] for c in calls] == [('train', 'no_pert'), ('test', 'no_pert')]


def test_stage1_seed_trains_stage_1_with_it_and_refuses_a_stage_1_of_another(
        bench, tmp_path, monkeypatch, capsys):
    """``--stage1-seed`` reaches the stage-1 runs' training (never a stage-2 run's, which keeps
    its own seed) and the JSON line; a stage-1 dir whose saved config has another seed is not
    reused as if it were this one."""
    module, calls = bench
    out = str(tmp_path / 'bench')
    results = _main(module, monkeypatch, capsys, '--out-dir', out, '--runs', 'source_only',
                    'oracle', 'semihand', '--seeds', '0', '1', '--stage1-seed', '3')
    trains = sorted(c[1:4] for c in calls if c[0] == 'train')
    start = osp.join(out, 'source_only', 'iter_1.pth')
    assert trains == [('oracle', None, 3), ('semihand', start, 0), ('semihand-seed1', start, 1),
                      ('source_only', None, 3)]
    assert all(r['stage1_seed'] == 3 for r in results.values())
    # what MMEngine saves in a work dir: the config a run was trained with
    with open(osp.join(out, 'source_only', 'pretrain_synth.py'), 'w') as f:
        f.write('randomness = dict(seed=3)\n')
    calls.clear()
    again = _main(module, monkeypatch, capsys, '--out-dir', out, '--runs', 'source_only',
                  'oracle', 'semihand', '--seeds', '0', '1', '--stage1-seed', '3', '--reuse')
    assert calls == [] and again == results
    # without the option, the configs' seed 0 is asked for; stage 2 alone still needs stage 1
    for runs in (['source_only', 'semihand'], ['semihand']):
        with pytest.raises(SystemExit):
            _main(module, monkeypatch, capsys, '--out-dir', out, '--runs', *runs, '--reuse')
        err = capsys.readouterr().err
        assert (f'{osp.join(out, "source_only")} was trained with randomness.seed=3, not 0'
                in err), err
        assert 'give its seed as --stage1-seed' in err, err
    assert calls == []


def test_a_stage2_run_trained_otherwise_is_not_reused_as_this_calls(bench, tmp_path,
                                                                    monkeypatch, capsys):
    """A stage-2 work dir whose saved config (what MMEngine dumps there) started from another
    stage-1 dir, or has another seed or another value of a ``--cfg-options`` key, is refused
    before anything trains or is read, naming the dir, the key and both values; the same run
    reached through a linked stage-1 dir, or given the options it was trained with, is reused."""
    module, calls = bench
    out, other_stage1 = str(tmp_path / 'bench'), str(tmp_path / 'elsewhere')
    option = 'model.semi_train_cfg.pseudo_weight=0.25'
    args = ['--out-dir', out, '--runs', 'source_only', 'semihand', '--seeds', '0', '1']
    first = _main(module, monkeypatch, capsys, *args, '--cfg-options', option)

    def save(seed_dir: str, load_from: str, seed: int, weight: float) -> None:
        with open(osp.join(out, seed_dir, 'semihand_synth_finetune.py'), 'w') as f:
            f.write(f'load_from = {load_from!r}\nrandomness = dict(seed={seed})\n'
                    f'model = dict(semi_train_cfg=dict(pseudo_weight={weight}))\n')

    start = osp.join(out, 'source_only', 'iter_1.pth')
    save('semihand', start, 0, 0.25)
    save('semihand-seed1', start, 1, 0.25)
    calls.clear()
    assert _main(module, monkeypatch, capsys, *args, '--reuse', '--cfg-options', option) == first
    assert calls == []
    refusals = [
        ([option.replace('0.25', '0.5')],
         f"{osp.join(out, 'semihand')} was trained with model.semi_train_cfg.pseudo_weight=0.25, "
         'not 0.5'),
        ([option, '--stage1-dir', other_stage1],
         f"{osp.join(out, 'semihand')} was trained with load_from={start!r}, not "
         f"a checkpoint of {osp.join(other_stage1, 'source_only')}")]
    for options, words in refusals:
        with pytest.raises(SystemExit):
            _main(module, monkeypatch, capsys, *args, '--reuse', '--cfg-options', *options)
        err = capsys.readouterr().err
        assert words in err, err
    save('semihand-seed1', start, 0, 0.25)  # seed 0's run copied to seed 1's dir
    with pytest.raises(SystemExit):
        _main(module, monkeypatch, capsys, *args, '--reuse', '--cfg-options', option)
    err = capsys.readouterr().err
    assert f"{osp.join(out, 'semihand-seed1')} was trained with randomness.seed=0, not 1" in err
    assert 'semihand was' not in err, err  # the run that matches is not named
    assert calls == []
    # a stage-1 dir that links to the one they started from is that dir: they pass
    save('semihand-seed1', start, 1, 0.25)
    linked = tmp_path / 'linked'
    linked.mkdir()
    os.symlink(osp.join(out, 'source_only'), str(linked / 'source_only'))
    assert _main(module, monkeypatch, capsys, *args, '--reuse', '--stage1-dir', str(linked),
                 '--cfg-options', option) == first
    assert calls == []


def test_reuse_neither_retrains_nor_retests(bench, tmp_path, monkeypatch, capsys):
    module, calls = bench
    args = ['--out-dir', str(tmp_path / 'bench'), '--runs', 'source_only', 'oracle', 'semihand',
            '--seeds', '0', '1']
    first = _main(module, monkeypatch, capsys, *args)
    calls.clear()
    again = _main(module, monkeypatch, capsys, *(args + ['--reuse']))
    assert calls == []
    assert again == first


def test_a_run_stopped_part_way_is_resumed_not_taken_as_final(bench, tmp_path, monkeypatch,
                                                              capsys):
    """A run killed before its config's ``max_iters`` has only an early checkpoint and no test:
    ``--reuse`` resumes it (and tests its final checkpoint), ``--no-train`` leaves it out."""
    module, calls = bench
    out = str(tmp_path / 'bench')
    args = ['--out-dir', out, '--runs', 'source_only', 'oracle', 'semihand']
    _main(module, monkeypatch, capsys, *args)
    # semihand's config now trains 3 iterations: its iter_1.pth is where a killed run stopped
    monkeypatch.setattr(module, 'configured_train_cfg', lambda config, cfg_options: dict(
        max_iters=3 if config == module.RUNS['semihand'] else 1))
    os.remove(osp.join(out, 'semihand', 'test.pck.json'))
    calls.clear()
    results = _main(module, monkeypatch, capsys, *(args + ['--no-train']))
    assert calls == [] and 'semihand' not in results
    results = _main(module, monkeypatch, capsys, *(args + ['--reuse']))
    semihand = osp.join(out, 'semihand')
    assert calls == [('train', 'semihand', osp.join(out, 'source_only', 'iter_1.pth'), 0, None,
                      '--resume'),
                     ('test', 'semihand', osp.join(semihand, 'iter_3.pth'))]
    assert results['semihand']['target_auc'] == pytest.approx(0.50)


def test_the_final_iteration_is_the_configs_with_the_options_applied():
    module = _load_benchmark()

    def max_iters(config, options):
        return module.configured_train_cfg(config, options)['max_iters']

    assert max_iters(module.RUNS['semihand'], ()) == 300
    assert max_iters(module.RUNS['source_only_same_budget'], ()) == 1150
    semihand = module.RUNS['semihand']
    assert max_iters(semihand, ('train_cfg.max_iters=600',)) == 600
    stopped = module.stopped_part_way
    assert stopped('w/iter_200.pth', semihand, ()) == 'w/iter_200.pth is iteration 200 of 300'
    assert stopped('w/iter_300.pth', semihand, ()) is None
    assert stopped('w/iter_300.pth', semihand, ['train_cfg.max_iters=600']) is not None
    # a name that does not tell its iteration is taken as final, and so is an epoch's checkpoint
    # of a loop by iterations (it was compared with max_iters once)
    assert stopped('w/best.pth', semihand, ()) is None
    assert stopped('w/epoch_200.pth', semihand, ()) is None
    by_epochs = ['train_cfg.type=EpochBasedTrainLoop', 'train_cfg.max_epochs=3']
    assert stopped('w/epoch_2.pth', semihand, by_epochs) == 'w/epoch_2.pth is epoch 2 of 3'


def test_the_held_out_split_retests_trained_runs_apart_from_the_test_split(bench, tmp_path,
                                                                          monkeypatch, capsys):
    """``--eval-split val`` scores the same checkpoints on the second target split: with
    ``--reuse`` nothing trains again, every run is tested once more into ``val.pck.json``, and
    the test split's results stay as they were."""
    module, calls = bench
    args = ['--out-dir', str(tmp_path / 'bench'), '--runs', 'source_only', 'oracle', 'semihand',
            '--seeds', '0', '1']
    first = _main(module, monkeypatch, capsys, *args)
    calls.clear()
    val = _main(module, monkeypatch, capsys, *(args + ['--reuse', '--eval-split', 'val']))
    assert sorted(c[1] for c in calls) == ['oracle', 'semihand', 'semihand-seed1', 'source_only']
    assert all(c[0] == 'test' and c[-1] == 'val' for c in calls)
    assert val['semihand']['eval_split'] == 'val' and first['semihand']['eval_split'] == 'test'
    assert val['semihand']['target_auc'] == pytest.approx(first['semihand']['target_auc'] - 0.01)
    # (0.51 - 0.29) / (0.69 - 0.29)
    assert val['semihand']['gap_closed'] == pytest.approx(0.55)
    calls.clear()
    assert _main(module, monkeypatch, capsys, *(args + ['--reuse'])) == first
    assert calls == []


def test_the_held_out_split_options_address_each_configs_target_test_set(bench):
    """The val and fresh options name the second test dataset: in every run's config that is the
    target test set, which they turn into a split of other hands (another seed)."""
    from mmengine.config import Config
    module, _ = bench
    val = dict(option.split('=') for option in module.EVAL_SPLITS['val'])
    assert val == {'test_dataloader.dataset.datasets.1.split': 'val',
                   'test_dataloader.dataset.datasets.1.seed': '2000'}
    fresh = dict(option.split('=') for option in module.EVAL_SPLITS['fresh'])
    assert fresh == {'test_dataloader.dataset.datasets.1.split': 'eval',
                     'test_dataloader.dataset.datasets.1.seed': '3000',
                     'test_dataloader.dataset.datasets.1.num_samples': '2000'}
    for path in sorted(set(module.RUNS.values())):
        cfg = Config.fromfile(osp.join(ROOT, path))
        target = cfg.test_dataloader.dataset.datasets[1]
        assert (target.domain, target.split, target.seed) == ('target', 'test', 1001), path
        train = cfg.train_dataloader.dataset
        for dataset in (train.datasets if 'datasets' in train else [train]):
            assert dataset.seed not in (2000, 3000), path


def test_no_train_compiles_what_is_there(bench, tmp_path, monkeypatch, capsys):
    """``--no-train`` trains nothing: a trained but untested seed is tested, a missing seed and a
    missing run are left out, and the table comes from the rest."""
    module, calls = bench
    out = str(tmp_path / 'bench')
    _main(module, monkeypatch, capsys, '--out-dir', out, '--runs', 'source_only', 'oracle',
          'semihand', '--seeds', '0', '1')
    os.remove(osp.join(out, 'semihand-seed1', 'test.pck.json'))
    calls.clear()
    results = _main(module, monkeypatch, capsys, '--out-dir', out, '--runs', 'source_only',
                    'oracle', 'semihand', 'no_pert', '--seeds', '0', '1', '2', '--no-train')
    assert [c[0] for c in calls] == ['test'] and calls[0][1] == 'semihand-seed1'
    assert 'no_pert' not in results
    assert sorted(results['semihand']['seeds']) == ['0', '1']
    assert results['semihand']['target_auc'] == pytest.approx((0.50 + 0.54) / 2)


@pytest.mark.parametrize('runs, missing', [
    (['semihand'], 'source_only'),
    # source_only is there, but this run starts from its own stage 1
    (['source_only', 'semihand_photometric'], 'source_only_photometric run first')])
def test_a_stage2_run_needs_its_stage1(bench, tmp_path, monkeypatch, capsys, runs, missing):
    module, _ = bench
    with pytest.raises(FileNotFoundError, match=missing):
        _main(module, monkeypatch, capsys, '--out-dir', str(tmp_path / 'bench'), '--runs',
              *runs)


def test_long_runs_pair_with_their_reference_and_oracle(bench, tmp_path, monkeypatch, capsys):
    module, calls = bench
    results = _main(module, monkeypatch, capsys, '--out-dir', str(tmp_path / 'bench'), '--runs',
                    'source_only', 'source_only_long', 'oracle_long', 'semihand_long',
                    'no_selection_long', '--seeds', '0', '1', '--reference', 'semihand_long',
                    '--source', 'source_only_long', '--oracle', 'oracle_long')
    # the long source-only and oracle runs are stage 1 (trained once, from nothing); the long
    # stage-2 runs start from the (850-iteration) source-only checkpoint
    trains = {c[1]: c[2] for c in calls if c[0] == 'train'}
    assert trains['oracle_long'] is None and trains['source_only_long'] is None
    assert trains['semihand_long-seed1'].endswith(osp.join('source_only', 'iter_1.pth'))
    # gap closed between the long source-only and oracle runs: (0.61 - 0.35) / (0.80 - 0.35)
    assert results['semihand_long']['gap_closed'] == pytest.approx(0.26 / 0.45)
    # no_selection_long - semihand_long per seed: +0.01, -0.02
    assert results['no_selection_long']['vs_semihand_long'] == pytest.approx(-0.005)
    assert results['no_selection_long']['vs_semihand_long_std'] == pytest.approx(
        statistics.stdev([0.01, -0.02]))
    assert 'vs_semihand' not in results['no_selection_long']
    assert 'gap_closed' not in results['oracle_long']


def test_photometric_runs_start_from_their_own_stage1(bench, tmp_path, monkeypatch, capsys):
    """semihand_photometric, its control and its ablations start from source_only_photometric,
    the gap's bottom there; labelled_photometric, like every other stage-2 run, from
    source_only."""
    module, calls = bench
    out = str(tmp_path / 'bench')
    results = _main(module, monkeypatch, capsys, '--out-dir', out, '--runs', 'source_only',
                    'source_only_photometric', 'oracle', 'semihand_photometric',
                    'continued_photometric', 'no_pseudo_photometric', 'labelled_photometric',
                    '--source', 'source_only_photometric', '--reference', 'semihand_photometric')
    trains = {c[1]: c[2] for c in calls if c[0] == 'train'}
    assert trains['source_only_photometric'] is None
    photometric = osp.join(out, 'source_only_photometric', 'iter_1.pth')
    assert (trains['semihand_photometric'] == trains['continued_photometric']
            == trains['no_pseudo_photometric'] == photometric)
    assert trains['labelled_photometric'] == osp.join(out, 'source_only', 'iter_1.pth')
    # (0.46 - 0.48) / (0.70 - 0.48): below the stronger source-only model
    assert results['semihand_photometric']['gap_closed'] == pytest.approx(-0.02 / 0.22)


def test_every_run_config_parses(bench):
    """Each run's config (moved or derived ones included) resolves its ``_base_`` chain, and the
    long runs train 600 stage-2 iterations against an oracle trained 850 + 600, the default 300
    against one trained 850 + 300."""
    from mmengine.config import Config
    module, _ = bench
    cfgs = {name: Config.fromfile(osp.join(ROOT, path)) for name, path in module.RUNS.items()}
    assert cfgs['semihand_long'].train_cfg.max_iters == 600
    assert cfgs['semihand_long'].custom_hooks[1].round_interval == 150
    assert cfgs['no_selection_long'].model.semi_train_cfg.selection.mode == 'all'
    assert cfgs['continued_long'].model.semi_train_cfg.pseudo_weight == 0.0
    # consistency only: the pseudo-label loss off, everything else SemiHand's
    no_pseudo, semihand = cfgs['no_pseudo'].model, cfgs['semihand'].model
    assert no_pseudo.semi_train_cfg.pseudo_weight == 0.0
    assert dict(no_pseudo.semi_train_cfg,
                pseudo_weight=semihand.semi_train_cfg.pseudo_weight) == semihand.semi_train_cfg
    assert cfgs['oracle_long'].train_cfg.max_iters == cfgs['oracle'].train_cfg.max_iters + 600
    assert cfgs['oracle_long'].param_scheduler[1].end == 1450
    assert cfgs['oracle_long'].train_dataloader.dataset.domain == 'target'
    assert cfgs['source_only_long'].train_cfg.max_iters == 1450
    assert cfgs['source_only_long'].train_dataloader.dataset.domain == 'source'
    # the weight-0.25 pair: SemiHand's or the no-selection ablation's settings but for the weight
    for name, base in (('pseudo_weight_025', 'semihand'),
                       ('pseudo_weight_025_no_selection', 'no_selection')):
        assert cfgs[name].model.semi_train_cfg.pseudo_weight == 0.25
        assert dict(cfgs[name].model.semi_train_cfg, pseudo_weight=1.0) == \
            cfgs[base].model.semi_train_cfg
    # the tuned run: weight 0.25's model, and a student view that is the default's without its
    # geometric perturbation and cut-out (the photometric steps with their parameters)
    tuned, default = cfgs['tuned'], cfgs['semihand']
    assert tuned.model == cfgs['pseudo_weight_025'].model
    student = tuned.train_dataloader.dataset.datasets[1].pipeline[-1]['unsup_student']
    strong = default.train_dataloader.dataset.datasets[1].pipeline[-1]['unsup_student']
    assert [s['type'] for s in strong] == ['FastRandomBBoxTransform', 'HandAffine',
                                          'PhotometricDistortion', 'RandomBlurNoise',
                                          'mmdet.CutOut', 'PackHand3DInputs']
    assert student == strong[1:4] + strong[5:]
    labelled = tuned.train_dataloader.dataset.datasets[0]
    assert labelled == default.train_dataloader.dataset.datasets[0]
    assert tuned.custom_hooks == default.custom_hooks
    # the default stage 2's budget: 850 + 300, the decay stretched to the end, on each domain
    budget = cfgs['source_only'].train_cfg.max_iters + cfgs['semihand'].train_cfg.max_iters
    for name, domain in (('source_only_same_budget', 'source'), ('oracle_same_budget', 'target')):
        assert cfgs[name].train_cfg.max_iters == budget == 1150
        assert (cfgs[name].param_scheduler[1].end == cfgs[name].param_scheduler[1].T_max + 100
                == 1150)
        assert cfgs[name].train_dataloader.dataset.domain == domain
    assert cfgs['semihand_long_ema'].custom_hooks[-1].type == 'mmdet.MeanTeacherHook'
