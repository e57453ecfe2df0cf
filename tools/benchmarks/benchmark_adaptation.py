# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Adaptation on the synthetic domains: source-only, SemiHand, oracle, and one row per ablation.

All runs share the iteration budget of ``configs/pretrain_synth.py`` (850 iterations, batch 32,
ResNet-18 at 64 px). Target-test 3D AUC (20-50 mm, root-relative, prediction scaled by the
ground-truth reference bone) and EPE are read from each run's final validation, and the fraction of
the source-to-oracle gap that each SemiHand variant closes is printed, with a table, plots (3D PCK
curves on target test, pseudo-label movement per round) and one JSON line::

    python tools/benchmarks/benchmark_adaptation.py --out-dir work_dirs/adaptation
    python tools/benchmarks/benchmark_adaptation.py --runs source_only oracle semihand --reuse

A run whose work dir already holds its final validation is read, not retrained, with ``--reuse``.
"""
import argparse
import glob
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
    'semihand': 'configs/semihand_synth.py',
    'no_pert': 'configs/ablations/semihand_synth_no_pert.py',
    'no_xmodal': 'configs/ablations/semihand_synth_no_xmodal.py',
    'no_correction': 'configs/ablations/semihand_synth_no_correction.py',
    'no_selection': 'configs/ablations/semihand_synth_no_selection.py',
    'no_strong_aug': 'configs/ablations/semihand_synth_no_strong_aug.py',
}
TARGET, SOURCE = 'hand3d/synthetic_target', 'hand3d/synthetic_source'


def final_metrics(work_dir: str):
    """The last validation of the newest run in ``work_dir`` (from MMEngine's scalars.json)."""
    for scalars in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')),
                          reverse=True):
        rows = [json.loads(line) for line in open(scalars) if f'{TARGET}/AUC' in line]
        if rows:
            return rows[-1]
    return None


def train(name: str, config: str, work_dir: str) -> None:
    cmd = [sys.executable, 'tools/train.py', config, '--work-dir', work_dir, '--cfg-options',
           f'val_evaluator.outfile_prefix={osp.join(work_dir, "final")}']
    print(f'[{name}] ' + ' '.join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)


def plot(results: dict, out_dir: str) -> None:
    """PCK curves on target test and the pseudo-label rounds of every run that has them."""
    curves, rounds = {}, {}
    for name, r in results.items():
        curve_file = osp.join(r['work_dir'], 'final.pck.json')
        if osp.isfile(curve_file):
            curves[name] = json.load(open(curve_file))['synthetic_target']
        rounds_file = osp.join(r['work_dir'], 'pseudo_labels', 'rounds.json')
        if osp.isfile(rounds_file):
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
        metrics = final_metrics(work_dir) if args.reuse else None
        if metrics is None:
            train(name, RUNS[name], work_dir)
            metrics = final_metrics(work_dir)
        results[name] = dict(
            work_dir=work_dir, target_auc=metrics[f'{TARGET}/AUC'],
            target_epe=metrics[f'{TARGET}/EPE'], source_auc=metrics.get(f'{SOURCE}/AUC'))
    src = results.get('source_only', {}).get('target_auc')
    orc = results.get('oracle', {}).get('target_auc')
    print('\n| run | target AUC 20-50 mm | target EPE (mm) | source AUC | gap closed |')
    print('|---|---|---|---|---|')
    for name, r in results.items():
        closed = ''
        if src is not None and orc is not None and orc > src and name not in ('source_only',
                                                                             'oracle'):
            r['gap_closed'] = (r['target_auc'] - src) / (orc - src)
            closed = f'{r["gap_closed"]:.0%}'
        source = f'{r["source_auc"]:.3f}' if r['source_auc'] is not None else ''
        print(f'| {name} | {r["target_auc"]:.3f} | {r["target_epe"]:.1f} | {source} | {closed} |')
    plot(results, args.out_dir)
    print(json.dumps({n: {k: v for k, v in r.items() if k != 'work_dir'}
                      for n, r in results.items()}))


if __name__ == '__main__':
    main()
