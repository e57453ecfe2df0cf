# Copyright (c) semihand_mmpose authors. All rights reserved.
r"""Adaptation on the synthetic domains: source-only, SemiHand, oracle, and one row per ablation.

Source-only and the target-labelled oracle train ``configs/pretrain_synth.py``'s recipe (850
iterations, batch 32, ResNet-18 at 64 px) on their domain. Every SemiHand variant is stage 2: it
starts from this benchmark's own source-only checkpoint and fine-tunes for the same 300 iterations
(600 for the ``*_long`` runs, below); ``continued`` runs those iterations with every unlabelled
loss off, so the extra iterations alone are measured too. ``source_only_adabn`` trains nothing:
it tests the source-only checkpoint the way SemiHand's configs test (batch-norm statistics of the
unlabelled target images, AdaBN), the baseline that the unlabelled losses must beat.

Every row is ``tools/test.py`` of the run's last checkpoint with the run's config: target-test 3D
AUC (20-50 mm, root-relative, prediction scaled by the ground-truth reference bone) and EPE, and
the fraction of the source-to-oracle gap that each SemiHand variant closes, with a table, plots
(3D PCK curves on target test, pseudo-label movement per round) and one JSON line::

    python tools/benchmarks/benchmark_adaptation.py --out-dir work_dirs/adaptation
    python tools/benchmarks/benchmark_adaptation.py --runs source_only oracle semihand --reuse

Source-only and the oracle stop at 850 iterations, SemiHand at 850 + 300. For a gap measured with
the same budget, ``source_only_same_budget`` and ``oracle_same_budget`` train stage 1's recipe for
1150 iterations; name them the ends of the gap (stage-2 runs still start from ``source_only``)::

    python tools/benchmarks/benchmark_adaptation.py --runs source_only source_only_same_budget \
        oracle_same_budget semihand no_selection --seeds 0 1 2 --reuse \
        --source source_only_same_budget --oracle oracle_same_budget

With ``--reuse`` a run whose work dir already holds its final checkpoint is not retrained, and one
already tested is not tested again; a run or seed that is missing is trained, and one stopped
part-way (its newest checkpoint short of its config's ``max_iters``) is resumed from there with
``tools/train.py --resume``, never tested as if it had finished. ``--no-train`` only compiles what
is there: it tests a finished checkpoint not yet tested and leaves out, with a message, every run
or seed that has none.

``--seeds 0 1 2`` trains every stage-2 run once per training seed (``randomness.seed``; the data
and stage 1 stay the same; seed ``s`` other than 0 goes to ``<run>-seed<s>``) and reports the mean
and standard deviation, so that an ablation's difference can be told from seed noise. ``--jobs N``
trains N runs at once, each logging to its own work dir: on a GPU machine, where one run leaves
the GPU mostly idle::

    python tools/benchmarks/benchmark_adaptation.py --seeds 0 1 2 --jobs 12 --threads-per-job 1

The ``*_long`` runs give stage 2 twice the budget (600 iterations); ``source_only_long`` and
``oracle_long`` train stage 1's recipe for its 850 iterations plus those 600, so that all three
have the same budget. ``--reference`` names the run that the others are paired with (default
``semihand``), ``--source`` and ``--oracle`` the two ends of the gap::

    python tools/benchmarks/benchmark_adaptation.py --runs source_only source_only_long \
        oracle_long semihand_long continued_long no_selection_long --seeds 0 1 2 \
        --reference semihand_long --source source_only_long --oracle oracle_long --reuse

Every setting that differs between the runs was chosen on the 500 target-test hands that score
them: these domains have no other labelled target set. ``--eval-split val`` scores the same
checkpoints on a second one (500 target hands, seed 2000, no setting chosen on it) and writes
``<work dir>/val.pck.json``, and ``--eval-split fresh`` on 2,000 fresh target hands (seed 3000,
``fresh.pck.json``); with ``--reuse`` either trains nothing that is trained and only tests::

    python tools/benchmarks/benchmark_adaptation.py --out-dir work_dirs/adapt_plain --runs \
        source_only_same_budget oracle_same_budget pseudo_weight_025 tuned --seeds 0 1 2 3 4 \
        --reuse --eval-split val --reference pseudo_weight_025 \
        --source source_only_same_budget --oracle oracle_same_budget

``--cfg-options`` changes every stage-2 run (training and test) as ``tools/train.py``'s flag of
that name does, so a whole table can be measured at another setting; give it its own
``--out-dir`` and take stage 1 from the first one with ``--stage1-dir``::

    python tools/benchmarks/benchmark_adaptation.py --out-dir work_dirs/adapt_pw025 \
        --stage1-dir work_dirs/adaptation --runs semihand no_pert no_xmodal no_correction \
        no_selection --seeds 0 1 2 --cfg-options model.semi_train_cfg.pseudo_weight=0.25

Every stage-2 row's ± covers stage-2 seeds from one stage-1 model, and a second stage 1 of the
same recipe can move a row by more than that spread (docs/results.md, "On a fourth machine").
``--stage1-seed`` trains the stage-1 runs with another ``randomness.seed`` (their initialisation,
data order and augmentation draws; the data stay the same): one out-dir and one stage-1 dir per
stage-1 seed give the table over several stage-1 models::

    python tools/benchmarks/benchmark_adaptation.py --out-dir work_dirs/adapt_s1 --stage1-seed 1 \
        --runs source_only source_only_same_budget oracle_same_budget tuned --seeds 0 1 --reuse \
        --source source_only_same_budget --oracle oracle_same_budget

A stage-1 work dir is only reused when the config it was trained with has that seed, and a
stage-2 work dir only when its saved config started from the stage-1 dir of this call and has
its seed and the value of each ``--cfg-options`` key this call gives: a work dir trained
otherwise is refused, named, before anything trains. So a later call that only trains stage 2
from such a stage 1 passes its seed too::

    python tools/benchmarks/benchmark_adaptation.py --out-dir work_dirs/adapt_s1_lr6 \
        --stage1-dir work_dirs/adapt_s1 --stage1-seed 1 --runs tuned --seeds 0 1 --reuse \
        --cfg-options optim_wrapper.optimizer.lr=6e-4

An option would override what a run's own config sets on purpose (``no_pseudo``'s and
``continued``'s pseudo-label weight of 0, the ``*_long`` runs' schedule), so the benchmark
refuses one that changes a key where a run to be trained or tested differs from ``semihand``'s
config; leave that run out, or give it a work dir already tested (``--reuse`` does not touch it).

The ``*_photometric`` runs measure SemiHand against a stronger source-only model, one whose
labelled images also get the student's photometric perturbation
(``configs/pretrain_synth_photometric.py``). ``semihand_photometric``, its control
``continued_photometric`` and its ablations ``no_pseudo_photometric``,
``no_consistency_photometric`` and ``no_selection_photometric`` start from that model's
checkpoint; ``labelled_photometric`` is the default stage 2, from the plain one, with only its
labelled batches augmented::

    python tools/benchmarks/benchmark_adaptation.py --runs source_only_photometric oracle \
        semihand_photometric continued_photometric no_pseudo_photometric --seeds 0 1 2 \
        --reference semihand_photometric --source source_only_photometric --oracle oracle --reuse
"""
import argparse
import functools
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Optional, Sequence

from semihand_mmpose.engine.resume import find_resume_checkpoint, schedule_position
from semihand_mmpose.visualization import plot_pck_curves, plot_rounds

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RUNS = {
    'source_only': 'configs/pretrain_synth.py',
    'oracle': 'configs/oracle_synth.py',
    'source_only_adabn': 'configs/semihand_synth_finetune.py',
    'semihand': 'configs/semihand_synth_finetune.py',
    'continued': 'configs/ablations/semihand_synth_no_unlabelled.py',
    'no_pert': 'configs/ablations/semihand_synth_no_pert.py',
    'no_xmodal': 'configs/ablations/semihand_synth_no_xmodal.py',
    'no_correction': 'configs/ablations/semihand_synth_no_correction.py',
    'no_selection': 'configs/ablations/semihand_synth_no_selection.py',
    'no_strong_aug': 'configs/ablations/semihand_synth_no_strong_aug.py',
    'no_pseudo': 'configs/ablations/semihand_synth_no_pseudo.py',
    # the pseudo-label loss at weight 0.25 (default 1.0), with and without confidence selection
    'pseudo_weight_025': 'configs/ablations/semihand_synth_pseudo_weight_025.py',
    'pseudo_weight_025_no_selection':
        'configs/ablations/semihand_synth_pseudo_weight_025_no_selection.py',
    # weight 0.25 and a student view with photometric perturbation only: the best setting found
    # on these domains, chosen on target-test AUC (its ablations: docs/results.md)
    'tuned': 'configs/semihand_synth_tuned.py',
    # source-only and the oracle trained for stage 1 plus the default stage 2 (850 + 300
    # iterations): the same budget as every run above (--source source_only_same_budget
    # --oracle oracle_same_budget)
    'source_only_same_budget': 'configs/pretrain_synth_same_budget.py',
    'oracle_same_budget': 'configs/oracle_synth_same_budget.py',
    # twice the stage-2 budget (600 iterations), its control, an ablation, and source-only and the
    # oracle trained for stage 1 plus that budget (compare with --reference semihand_long --source
    # source_only_long --oracle oracle_long)
    'source_only_long': 'configs/pretrain_synth_long.py',
    'semihand_long': 'configs/semihand_synth_long.py',
    'continued_long': 'configs/ablations/semihand_synth_long_no_unlabelled.py',
    'no_selection_long': 'configs/ablations/semihand_synth_long_no_selection.py',
    'oracle_long': 'configs/oracle_synth_long.py',
    # the long budget with an EMA teacher (the first machine's table), and its control
    'semihand_long_ema': 'configs/ablations/semihand_synth_long_ema.py',
    'continued_long_ema': 'configs/ablations/semihand_synth_long_ema_no_unlabelled.py',
    # a source-only model with photometric augmentation, its oracle, stage 2 from it and its
    # control, and the default stage 2 with only its labelled batches augmented
    'source_only_photometric': 'configs/pretrain_synth_photometric.py',
    'oracle_photometric': 'configs/oracle_synth_photometric.py',
    'semihand_photometric': 'configs/semihand_synth_photometric.py',
    'continued_photometric': 'configs/ablations/semihand_synth_photometric_no_unlabelled.py',
    'labelled_photometric': 'configs/ablations/semihand_synth_labelled_photometric.py',
    # SemiHand from the photometric stage 1 without one part: the pseudo-label loss, both
    # consistency losses, or confidence weighting and selection
    'no_pseudo_photometric': 'configs/ablations/semihand_synth_photometric_no_pseudo.py',
    'no_consistency_photometric': 'configs/ablations/semihand_synth_photometric_no_consistency.py',
    'no_selection_photometric': 'configs/ablations/semihand_synth_photometric_no_selection.py',
}
#: runs that only test another run's checkpoint
TEST_ONLY = {'source_only_adabn': 'source_only'}
STAGE1 = ('source_only', 'oracle', 'source_only_same_budget', 'oracle_same_budget',
          'source_only_long', 'oracle_long', 'source_only_photometric', 'oracle_photometric')
#: the stage-1 run that a stage-2 run starts from, where it is not ``source_only``
START = {name: 'source_only_photometric'
         for name in ('semihand_photometric', 'continued_photometric', 'no_pseudo_photometric',
                      'no_consistency_photometric', 'no_selection_photometric')}
#: the labelled target splits a run can be scored on: the target test set every config tests on,
#: a second one (500 hands, seed 2000) that no setting was chosen on, or 2,000 fresh hands
#: (seed 3000), four times either, for a gap closed that two 500-hand sets disagree on by 2-4
#: points; the options turn a config's target test set (the second of its test datasets) into
#: that split
EVAL_SPLITS = {
    'test': (),
    'val': ('test_dataloader.dataset.datasets.1.split=val',
            'test_dataloader.dataset.datasets.1.seed=2000'),
    'fresh': ('test_dataloader.dataset.datasets.1.split=eval',
              'test_dataloader.dataset.datasets.1.seed=3000',
              'test_dataloader.dataset.datasets.1.num_samples=2000'),
}
#: what ``config_value`` returns for a key that a config does not set
MISSING = '<not set>'
#: the controls (every unlabelled loss off): their rounds are left out of the rounds plot. The
#: ``no_pseudo*`` runs' rounds feed no loss either but stay in: they show how the consistency
#: losses alone move the model's labels of the unlabelled images
CONTROLS = ('continued', 'continued_long', 'continued_long_ema', 'continued_photometric')


def read_json(path: str):
    """The contents of a JSON file, or ``None`` where there is none."""
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def test_metrics(work_dir: str, split: str = 'test'):
    """Target and source AUC / EPE of the test of ``work_dir``'s checkpoint on the target
    ``split`` (the curves file the metric writes through ``outfile_prefix``), or ``None`` before
    it."""
    data = read_json(osp.join(work_dir, f'{split}.pck.json'))
    if data is None:
        return None
    target, source = data['synthetic_target'], data.get('synthetic_source')
    return dict(target_auc=target['auc'], target_epe=target['epe'],
                source_auc=source['auc'] if source else None)


def last_checkpoint(work_dir: str, required: bool = True):
    """The checkpoint MMEngine recorded last in ``work_dir`` (the newest one there when its
    ``last_checkpoint`` pointer is empty or stale, as ``tools/train.py --resume`` finds it)."""
    checkpoint = find_resume_checkpoint(work_dir)
    if checkpoint is None and required:
        raise FileNotFoundError(f'{work_dir} has no checkpoint: run the {osp.basename(work_dir)} '
                                'run first (SemiHand variants start from its checkpoint)')
    return checkpoint


@functools.lru_cache(maxsize=None)
def load_config(config: str, cfg_options: tuple = ()) -> dict:
    """``config`` as a plain dict (an mmengine ``Config`` is no dict) with ``cfg_options`` applied
    as ``tools/train.py`` applies them; each config and options read once. Callers only read it."""
    from mmengine.config import Config, DictAction
    cfg = Config.fromfile(osp.join(ROOT, config))
    # DictAction's own value parser, so that "train_cfg.max_iters=600" means what it means to
    # tools/train.py
    cfg.merge_from_dict({key: DictAction._parse_iterable(value)
                         for key, value in (option.split('=', 1) for option in cfg_options)})
    return cfg.to_dict()


def configured_train_cfg(config: str, cfg_options: tuple) -> dict:
    """``train_cfg`` of ``config`` with ``cfg_options`` applied."""
    return load_config(config, cfg_options)['train_cfg']


def stopped_part_way(checkpoint: str, config: str, cfg_options: Sequence[str]) -> Optional[str]:
    """Why ``checkpoint`` is not the end of its run (saved before the config's ``max_iters``, or
    ``max_epochs`` for an ``epoch_N.pth``: the run was killed), or ``None`` when it is, or when
    its name does not tell (then it is taken as final, as before)."""
    position = schedule_position(checkpoint, configured_train_cfg(config, tuple(cfg_options)))
    if position is None or position[0] >= position[1]:
        return None
    step, end, key = position
    return f'{checkpoint} is {"iteration" if key == "max_iters" else "epoch"} {step} of {end}'


def run_dir(args, name: str, seed: int) -> str:
    """The work dir of run ``name`` trained with ``seed`` (seed 0 keeps the plain name): under
    ``--stage1-dir`` for stage-1 runs, ``--out-dir`` for the others."""
    root = args.stage1_dir if name in STAGE1 else args.out_dir
    return osp.join(root, name if seed == 0 else f'{name}-seed{seed}')


def call(name: str, cmd: list, log_file: Optional[str], threads: Optional[int]) -> None:
    """Run ``cmd`` from the checkout; its output goes to ``log_file`` when runs share the
    terminal."""
    print(f'[{name}] ' + ' '.join(cmd) + (f' > {log_file}' if log_file else ''), flush=True)
    env = dict(os.environ)
    if threads is not None:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    if log_file is None:
        subprocess.run(cmd, cwd=ROOT, env=env, check=True)
        return
    os.makedirs(osp.dirname(log_file), exist_ok=True)
    with open(log_file, 'a') as log:
        result = subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise RuntimeError(f'[{name}] exited with {result.returncode}; see {log_file}')


def train(name: str, config: str, work_dir: str, load_from: Optional[str] = None,
          seed: Optional[int] = None, log_file: Optional[str] = None,
          threads: Optional[int] = None, cfg_options: Sequence[str] = (),
          resume: bool = False) -> None:
    cmd = [sys.executable, 'tools/train.py', config, '--work-dir', work_dir]
    cmd += ['--resume'] if resume else []
    options = [f'load_from={load_from}'] if load_from is not None else []
    options += [f'randomness.seed={seed}'] if seed is not None else []
    options += list(cfg_options)
    if options:
        cmd += ['--cfg-options'] + options
    call(name, cmd, log_file, threads)


def test(name: str, config: str, checkpoint: str, work_dir: str, log_file: Optional[str] = None,
         threads: Optional[int] = None, cfg_options: Sequence[str] = (),
         split: str = 'test') -> None:
    cmd = [sys.executable, 'tools/test.py', config, checkpoint, '--work-dir',
           osp.join(work_dir, split), '--cfg-options',
           f'test_evaluator.outfile_prefix={osp.join(work_dir, split)}', *cfg_options,
           *EVAL_SPLITS[split]]
    call(name, cmd, log_file, threads)


def config_value(cfg: dict, key: str):
    """The value at the dotted ``key`` of ``cfg`` (a config as a plain dict) as
    ``--cfg-options`` addresses it (a number indexes a list), or ``MISSING``."""
    value = cfg
    for part in key.split('.'):
        if isinstance(value, (list, tuple)) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return MISSING
    return value


def option_keys(cfg_options: Sequence[str]) -> list:
    """The keys of ``--cfg-options``' ``KEY=VALUE`` pairs, each once, in order."""
    return list(dict.fromkeys(option.split('=', 1)[0] for option in cfg_options))


def overridden_settings(names: Sequence[str], cfg_options: Sequence[str]) -> list:
    """``(run, key, its value, semihand's value)`` for each option that would override a setting
    of a run's config that ``semihand``'s config does not share: such an option erases the very
    difference that the run measures (``no_pseudo``'s pseudo-label weight of 0, say)."""
    keys = option_keys(cfg_options)
    if not keys:
        return []
    found = []
    for name in dict.fromkeys(names):
        for key in keys:
            own = config_value(load_config(RUNS[name]), key)
            default = config_value(load_config(RUNS['semihand']), key)
            if own != default:
                found.append((name, key, own, default))
    return found


def start_of(name: str) -> str:
    """The stage-1 run whose checkpoint stage-2 run ``name`` starts from."""
    return START.get(name, 'source_only')


def saved_config(name: str, work_dir: str) -> Optional[dict]:
    """The config that MMEngine saved in ``work_dir`` when it trained run ``name`` there (every
    override applied), or ``None`` where no such config is."""
    saved = osp.join(work_dir, osp.basename(RUNS[name]))
    if not osp.isfile(saved):
        return None
    # absolute: load_config reads paths relative to the checkout, work dirs are the caller's;
    # uncached, as a run trained meanwhile saves its config under the same name
    return load_config.__wrapped__(osp.abspath(saved))


def trained_seed(name: str, work_dir: str) -> Optional[int]:
    """``randomness.seed`` of the config run ``name`` was trained with in ``work_dir``, or
    ``None`` where no saved config says."""
    saved = saved_config(name, work_dir)
    seed = MISSING if saved is None else config_value(saved, 'randomness.seed')
    return None if seed == MISSING else seed


def stage1_seed_mismatches(names: Sequence[str], args) -> list:
    """``(work dir, its seed, the seed asked for)`` of each stage-1 run among ``names`` (and the
    stage-1 runs their stage-2 runs start from) that was trained with another seed than
    ``--stage1-seed`` asks for (the configs' own where it is not given)."""
    wanted = {n for n in names if n in STAGE1}
    wanted |= {start_of(n) for n in names if n not in STAGE1}
    found = []
    for name in sorted(wanted):
        work_dir = run_dir(args, name, 0)
        expected = (args.stage1_seed if args.stage1_seed is not None else
                    config_value(load_config(RUNS[name]), 'randomness.seed'))
        seed = trained_seed(name, work_dir)
        if seed is not None and seed != expected:
            found.append((work_dir, seed, expected))
    return found


def checkpoint_in(checkpoint: Optional[str], work_dir: str) -> bool:
    """Whether ``checkpoint`` (a path as ``load_from`` gives it, relative to the checkout) is
    a file of ``work_dir``: compared as files where both exist (a linked work dir is the one it
    links), else as absolute paths."""
    if not checkpoint:
        return False
    folder = osp.dirname(osp.join(ROOT, checkpoint))  # join keeps an absolute path as it is
    if osp.isdir(folder) and osp.isdir(work_dir):
        return osp.samefile(folder, work_dir)
    return osp.normpath(folder) == osp.abspath(work_dir)


def stage2_mismatches(jobs: Sequence[tuple], args) -> list:
    """``(work dir, key, what it was trained with, what this call asks for, in words)`` for each
    stage-2 run among ``jobs`` (``(name, seed)``) whose work dir holds a run trained otherwise
    than this call would train it: from another stage-1 run's checkpoint (``load_from`` outside
    the stage-1 dir, compared as files, so linked dirs match), with another seed, or with another
    value of a ``--cfg-options`` key. ``--reuse`` would read, test or resume such a run as this
    call's. (A run trained with an option that this call does not give is not told apart:
    configs change between sessions, so the rest of a saved config is not compared.)"""
    found = []
    for name, seed in jobs:
        work_dir = run_dir(args, name, seed)
        saved = saved_config(name, work_dir)
        if saved is None:
            continue
        stage1 = run_dir(args, start_of(name), 0)
        if not checkpoint_in(saved.get('load_from'), stage1):
            found.append((work_dir, 'load_from', saved.get('load_from'),
                          f'a checkpoint of {stage1}'))
        asked = load_config(RUNS[name], tuple(args.cfg_options))
        wanted = [('randomness.seed', seed)] + [
            (key, config_value(asked, key)) for key in option_keys(args.cfg_options)]
        for key, value in wanted:
            had = config_value(saved, key)
            if had != value:
                found.append((work_dir, key, had, repr(value)))
    return found


def run_one(name: str, seed: int, args) -> Optional[dict]:
    """Train (unless reused) and test one run with one seed; its test metrics (``None`` with
    ``--no-train`` where the run has no checkpoint)."""
    work_dir = run_dir(args, name, seed)
    # --cfg-options change the stage-2 runs (and their tests) only: stage 1 is what they share
    options = () if name in STAGE1 else args.cfg_options
    metrics = test_metrics(work_dir, args.eval_split) if args.reuse else None
    if metrics is not None:
        return metrics
    log_file = osp.join(work_dir, 'benchmark.log') if args.jobs > 1 else None
    tag = name if seed == 0 else f'{name}-seed{seed}'
    if name in TEST_ONLY:
        checkpoint = last_checkpoint(run_dir(args, TEST_ONLY[name], 0))
    else:
        checkpoint = last_checkpoint(work_dir, required=False) if args.reuse else None
        unfinished = checkpoint and stopped_part_way(checkpoint, RUNS[name], options)
        if checkpoint is None or unfinished:
            if args.no_train:
                why = unfinished or f'no checkpoint in {work_dir}'
                print(f'{name} seed {seed}: {why}, left out (--no-train)')
                return None
            if unfinished:
                print(f'[{tag}] {unfinished}: resuming the run', flush=True)
            start = None if name in STAGE1 else last_checkpoint(
                run_dir(args, start_of(name), 0))
            train(tag, RUNS[name], work_dir, start, args.stage1_seed if name in STAGE1 else seed,
                  log_file, args.threads_per_job, options, resume=bool(unfinished))
            checkpoint = last_checkpoint(work_dir)
    test(tag, RUNS[name], checkpoint, work_dir, log_file, args.threads_per_job, options,
         args.eval_split)
    return test_metrics(work_dir, args.eval_split)


def run_all(jobs: list, args) -> dict:
    """``{(name, seed): metrics}`` of ``jobs``, ``args.jobs`` of them at once."""
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {job: pool.submit(run_one, *job, args) for job in jobs}
        return {job: future.result() for job, future in futures.items()}


def summarise(per_seed: dict) -> dict:
    """Mean (and, over several seeds, standard deviation) of each metric over the seeds."""
    summary = dict(seeds={str(seed): m for seed, m in per_seed.items()})
    for key in ('target_auc', 'target_epe', 'source_auc'):
        values = [m[key] for m in per_seed.values() if m[key] is not None]
        summary[key] = statistics.fmean(values) if values else None
        if len(values) > 1:
            summary[f'{key}_std'] = statistics.stdev(values)
    return summary


def plot(results: dict, out_dir: str, split: str = 'test') -> None:
    """PCK curves on the target ``split`` and the pseudo-label rounds of every run that learns from
    them."""
    curves, rounds = {}, {}
    for name, r in results.items():
        test_curves = read_json(osp.join(r['work_dir'], f'{split}.pck.json'))
        if test_curves is not None:
            curves[name] = test_curves['synthetic_target']
        rows = read_json(osp.join(r['work_dir'], 'pseudo_labels', 'rounds.json'))
        if rows is not None and name not in CONTROLS:
            rounds[name] = rows
    # each call redraws both figures with the runs it was given: say which, and where
    if curves:
        out = osp.join(out_dir, 'pck_target.png' if split == 'test' else f'pck_target_{split}.png')
        plot_pck_curves(curves, out, f'3D PCK on target {split}')
        print(f'wrote {out} ({", ".join(curves)})')
    if rounds:
        out = osp.join(out_dir, 'rounds.png')
        plot_rounds(rounds, out)
        print(f'wrote {out} ({", ".join(rounds)})')


def paired_difference(run: dict, reference: dict) -> Optional[tuple]:
    """Mean and standard deviation of ``run``'s target AUC minus ``reference``'s over the seeds
    both have: runs with one seed share its data order and augmentation draws, so the difference
    per seed is far less noisy than either AUC."""
    common = [s for s in run['seeds'] if s in reference['seeds']]
    if len(common) < 2:
        return None
    diffs = [run['seeds'][s]['target_auc'] - reference['seeds'][s]['target_auc'] for s in common]
    return statistics.fmean(diffs), statistics.stdev(diffs)


def add_comparisons(results: dict, source: str, oracle: str, reference: str,
                    several: bool) -> None:
    """Add to each stage-2 run's results the gap it closes between ``source`` and ``oracle``
    (``gap_closed``) and, over several seeds, its paired difference to ``reference``
    (``vs_<reference>`` and its standard deviation)."""
    src = results.get(source, {}).get('target_auc')
    orc = results.get(oracle, {}).get('target_auc')
    for name, r in results.items():
        if src is not None and orc is not None and orc > src and name not in STAGE1:
            r['gap_closed'] = (r['target_auc'] - src) / (orc - src)
        if several and reference in results and name != reference:
            paired = paired_difference(r, results[reference])
            if paired is not None:
                r[f'vs_{reference}'], r[f'vs_{reference}_std'] = paired


def print_table(results: dict, reference: str, several: bool, split: str = 'test') -> None:
    """One markdown row per run, with what :func:`add_comparisons` added."""
    ref = reference
    print(f'\n| run | target-{split} AUC 20-50 mm{" (mean ± sd)" if several else ""} '
          f'| target-{split} EPE (mm) '
          f'| source AUC | gap closed |{f" seeds | vs {ref}, paired |" if several else ""}')
    print(f'|---|---|---|---|---|{"---|---|" if several else ""}')
    for name, r in results.items():
        closed = f'{r["gap_closed"]:.0%}' if 'gap_closed' in r else ''
        auc = f'{r["target_auc"]:.3f}'
        if 'target_auc_std' in r:
            auc += f' ± {r["target_auc_std"]:.3f}'
        source = f'{r["source_auc"]:.3f}' if r['source_auc'] is not None else ''
        row = f'| {name} | {auc} | {r["target_epe"]:.1f} | {source} | {closed} |'
        if several:
            row += ' ' + ', '.join(f'{m["target_auc"]:.3f}' for m in r['seeds'].values()) + ' |'
            if f'vs_{ref}' in r:
                row += f' {r[f"vs_{ref}"]:+.4f} ± {r[f"vs_{ref}_std"]:.4f} |'
            else:
                row += ' |'
        print(row)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', nargs='*', default=list(RUNS), choices=list(RUNS))
    parser.add_argument('--out-dir', default='work_dirs/adaptation')
    parser.add_argument('--reuse', action='store_true',
                        help='reuse what the work dirs hold: read the runs already tested, test '
                        'the finished ones, resume the ones stopped part-way, train the rest')
    parser.add_argument('--no-train', action='store_true',
                        help='as --reuse, but leave out runs and seeds that are missing instead of '
                        'training them')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0],
                        help='training seeds of every stage-2 run (stage 1 is trained once)')
    parser.add_argument('--jobs', type=int, default=1,
                        help='runs trained at once; each then logs to <work dir>/benchmark.log')
    parser.add_argument('--threads-per-job', type=int, default=None,
                        help='OMP_NUM_THREADS of each run (default: inherited)')
    parser.add_argument('--reference', default='semihand', choices=list(RUNS),
                        help='the run that the others are paired with, seed by seed')
    parser.add_argument('--source', default='source_only',
                        choices=[n for n in STAGE1 if n.startswith('source_only')],
                        help='the source-only run at the bottom of the gap (stage-2 runs start '
                        'from source_only either way, but for those in START)')
    parser.add_argument('--oracle', default='oracle',
                        choices=[n for n in STAGE1 if n.startswith('oracle')],
                        help='the oracle at the top of the gap')
    parser.add_argument('--stage1-dir', default=None,
                        help='where the stage-1 runs (source-only, oracles) are, or are trained '
                        '(default: --out-dir); with --cfg-options, the stage 1 of another out-dir')
    parser.add_argument('--stage1-seed', type=int, default=None,
                        help='randomness.seed of the stage-1 runs (default: their configs\' own, '
                        '0); give each stage-1 seed its own --stage1-dir (or --out-dir)')
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help="options for every stage-2 run's training and test, as "
                        'tools/train.py takes them (e.g. model.semi_train_cfg.pseudo_weight=0.25): '
                        'the whole table at another setting; give it its own --out-dir')
    parser.add_argument('--eval-split', default='test', choices=list(EVAL_SPLITS),
                        help='the labelled target split every run is scored on: test (what every '
                        'table reports), val (a second one that no setting was chosen on, '
                        '<work dir>/val.pck.json) or fresh (2,000 fresh hands, fresh.pck.json)')
    args = parser.parse_args()
    args.stage1_dir = args.stage1_dir or args.out_dir
    malformed = [o for o in args.cfg_options if '=' not in o]
    if malformed:
        parser.error(f'--cfg-options takes KEY=VALUE pairs, got {malformed}')
    if args.jobs < 1:
        parser.error(f'--jobs must be at least 1, got {args.jobs}')
    args.reuse = args.reuse or args.no_train
    os.makedirs(args.out_dir, exist_ok=True)
    # stage 1 first: every other run starts from (or tests) the source-only checkpoint
    stage1 = [(name, 0) for name in args.runs if name in STAGE1]
    stage2 = [(name, seed) for name in args.runs if name not in STAGE1 and name not in TEST_ONLY
              for seed in args.seeds]
    test_only = [(name, 0) for name in args.runs if name in TEST_ONLY]
    pending = [name for name, seed in stage2 + test_only
               if not (args.reuse
                       and test_metrics(run_dir(args, name, seed), args.eval_split) is not None)]
    clashes = overridden_settings(pending, args.cfg_options)
    if clashes:
        parser.error('--cfg-options would override what a run sets on purpose: ' + '; '.join(
            f'{key} is {own!r} in {name} ({RUNS[name]}), {default!r} in semihand'
            for name, key, own, default in clashes) + '. Leave such a run out of --runs, or '
            'give it a work dir already tested (--reuse does not train or test it again)')
    mismatched = stage1_seed_mismatches(args.runs, args)
    if mismatched:
        parser.error('; '.join(f'{work_dir} was trained with randomness.seed={seed}, not {want}'
                               for work_dir, seed, want in mismatched) +
                     '. To use it, give its seed as --stage1-seed (stage-2 calls need it too); '
                     'to train another, give this --stage1-seed its own --stage1-dir (or '
                     '--out-dir)')
    mismatched = stage2_mismatches(stage2, args)
    if mismatched:
        parser.error('; '.join(f'{work_dir} was trained with {key}={had!r}, not {want}'
                               for work_dir, key, had, want in mismatched) +
                     '. Give this setting its own --out-dir, or move that work dir away')
    metrics = run_all(stage1, args)
    metrics.update(run_all(stage2 + test_only, args))
    results = {}
    for name in args.runs:
        per_seed = {seed: m for (n, seed), m in metrics.items() if n == name and m is not None}
        if not per_seed:
            continue
        results[name] = dict(work_dir=run_dir(args, name, min(per_seed)),
                             eval_split=args.eval_split, **summarise(per_seed))
        if args.stage1_seed is not None:
            results[name]['stage1_seed'] = args.stage1_seed
    several = len(args.seeds) > 1
    add_comparisons(results, args.source, args.oracle, args.reference, several)
    print_table(results, args.reference, several, args.eval_split)
    plot(results, args.out_dir, args.eval_split)
    print(json.dumps({n: {k: v for k, v in r.items() if k != 'work_dir'}
                      for n, r in results.items()}))


if __name__ == '__main__':
    main()
