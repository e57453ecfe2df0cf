# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Adaptation on the synthetic domains: source-only, SemiHand, oracle, and one row per ablation.

Source-only and the target-labelled oracle train ``configs/pretrain_synth.py``'s recipe (850
iterations, batch 32, ResNet-18 at 64 px) on their domain. Every SemiHand variant is stage 2: it
starts from this benchmark's own source-only checkpoint and fine-tunes for the same 300 iterations;
``continued`` runs those iterations with every unlabelled loss off, so the extra iterations alone
are measured too. ``source_only_adabn`` trains nothing: it tests the source-only checkpoint the way
SemiHand's configs test (batch-norm statistics of the unlabelled target images, AdaBN), the
baseline that the unlabelled losses must beat.

Every row is ``tools/test.py`` of the run's last checkpoint with the run's config: target-test 3D
AUC (20-50 mm, root-relative, prediction scaled by the ground-truth reference bone) and EPE, and
the fraction of the source-to-oracle gap that each SemiHand variant closes, with a table, plots
(3D PCK curves on target test, pseudo-label movement per round) and one JSON line::

    python tools/benchmarks/benchmark_adaptation.py --out-dir work_dirs/adaptation
    python tools/benchmarks/benchmark_adaptation.py --runs source_only oracle semihand --reuse

With ``--reuse`` a run whose work dir already holds a last checkpoint is not retrained, and one
already tested is not tested again.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys

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
    # twice the stage-2 budget, EMA teacher, and its control
    'semihand_long': 'configs/semihand_synth_long.py',
    'continued_long': 'configs/ablations/semihand_synth_long_no_unlabelled.py',
}
#: runs that only test another run's checkpoint
TEST_ONLY = {'source_only_adabn': 'source_only'}
STAGE1 = ('source_only', 'oracle')
#: runs whose pseudo-labels feed no loss: their rounds are left out of the rounds plot
CONTROLS = ('continued', 'continued_long')


def test_metrics(work_dir: str):
    """Target and source AUC / EPE of the test of ``work_dir``'s checkpoint (the curves file the
    metric writes through ``outfile_prefix``), or ``None`` before it."""
    curves = osp.join(work_dir, 'test.pck.json')
    if not osp.isfile(curves):
        return None
    with open(curves) as f:
        data = json.load(f)
    target, source = data['synthetic_target'], data.get('synthetic_source')
    return dict(target_auc=target['auc'], target_epe=target['epe'],
                source_auc=source['auc'] if source else None)


def last_checkpoint(work_dir: str, required: bool = True):
    """The checkpoint MMEngine recorded last in ``work_dir``."""
    record = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(record):
        if not required:
            return None
        raise FileNotFoundError(f'{record} does not exist: run the source_only run first (SemiHand '
                                'variants start from its checkpoint)')
    with open(record) as f:
        return f.read().strip()


def train(name: str, config: str, work_dir: str, load_from: str = None) -> None:
    cmd = [sys.executable, 'tools/train.py', config, '--work-dir', work_dir]
    if load_from is not None:
        cmd += ['--cfg-options', f'load_from={load_from}']
    print(f'[{name}] ' + ' '.join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)


def test(name: str, config: str, checkpoint: str, work_dir: str) -> None:
    cmd = [sys.executable, 'tools/test.py', config, checkpoint, '--work-dir',
           osp.join(work_dir, 'test'), '--cfg-options',
           f'test_evaluator.outfile_prefix={osp.join(work_dir, "test")}']
    print(f'[{name}] ' + ' '.join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)


def plot(results: dict, out_dir: str) -> None:
    """PCK curves on target test and the pseudo-label rounds of every run that learns from them."""
    curves, rounds = {}, {}
    for name, r in results.items():
        curve_file = osp.join(r['work_dir'], 'test.pck.json')
        if osp.isfile(curve_file):
            curves[name] = json.load(open(curve_file))['synthetic_target']
        rounds_file = osp.join(r['work_dir'], 'pseudo_labels', 'rounds.json')
        if osp.isfile(rounds_file) and name not in CONTROLS:
            rounds[name] = json.load(open(rounds_file))
    if curves:
        plot_pck_curves(curves, osp.join(out_dir, 'pck_target.png'), '3D PCK on target test')
    if rounds:
        plot_rounds(rounds, osp.join(out_dir, 'rounds.png'))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', nargs='*', default=list(RUNS), choices=list(RUNS))
    parser.add_argument('--out-dir', default='work_dirs/adaptation')
    parser.add_argument('--reuse', action='store_true',
                        help='read runs whose work dir already has a final validation')
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    results = {}
    for name in args.runs:
        work_dir = osp.join(args.out_dir, name)
        metrics = test_metrics(work_dir) if args.reuse else None
        if metrics is None:
            if name in TEST_ONLY:
                checkpoint = last_checkpoint(osp.join(args.out_dir, TEST_ONLY[name]))
            else:
                checkpoint = last_checkpoint(work_dir, required=False) if args.reuse else None
                if checkpoint is None:
                    start = None if name in STAGE1 else last_checkpoint(
                        osp.join(args.out_dir, 'source_only'))
                    train(name, RUNS[name], work_dir, start)
                    checkpoint = last_checkpoint(work_dir)
            test(name, RUNS[name], checkpoint, work_dir)
            metrics = test_metrics(work_dir)
        results[name] = dict(work_dir=work_dir, **metrics)
    src = results.get('source_only', {}).get('target_auc')
    orc = results.get('oracle', {}).get('target_auc')
    print('\n| run | target AUC 20-50 mm | target EPE (mm) | source AUC | gap closed |')
    print('|---|---|---|---|---|')
    for name, r in results.items():
        closed = ''
        if src is not None and orc is not None and orc > src and name not in STAGE1:
            r['gap_closed'] = (r['target_auc'] - src) / (orc - src)
            closed = f'{r["gap_closed"]:.0%}'
        source = f'{r["source_auc"]:.3f}' if r['source_auc'] is not None else ''
        print(f'| {name} | {r["target_auc"]:.3f} | {r["target_epe"]:.1f} | {source} | {closed} |')
    plot(results, args.out_dir)
    print(json.dumps({n: {k: v for k, v in r.items() if k != 'work_dir'}
                      for n, r in results.items()}))


if __name__ == '__main__':
    main()
