# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Where does one model lose against another? Test errors binned by what the hands look like.

Reads the prediction dumps of ``tools/test.py --dump`` (one per model, the same test set, every
hand labelled in 3D) and gives every test hand its 3D end-point error under ``Hand3DMetric``'s
RHD/STB protocol (root-relative, the prediction scaled by the ground-truth reference bone) and its
2D error. The hands are then binned
(quantiles of the first dump's hands) by attributes of their ground truth:

- ``view``: the angle (deg) between the palm's normal and the direction to the camera; 0 shows the
  palm, 90 the hand edge-on, 180 its back;
- ``curl``: the mean flexion (deg) of the 15 finger joints; 0 is a flat hand;
- ``hidden``: the fraction of joints that are not visible (hidden by the hand itself or an object).

Per bin: the hands, each model's 3D and 2D error, and the share of the total difference between
the first two models that the bin's hands make (a bin holding a quarter of the hands and half of
the gap says where the gap is; when the total is small, the shares are large and of both signs).
A table per attribute, a plot and one JSON line::

    python tools/test.py configs/pretrain_synth_photometric.py SRC.pth --dump src.pkl
    python tools/test.py configs/oracle_synth.py ORACLE.pth --dump oracle.pkl
    python tools/analysis/analyze_errors_by_pose.py src.pkl oracle.pkl \\
        --names source-only oracle --group synthetic_target --out errors_by_pose.png
"""
import argparse
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from semihand_mmpose.biomech.skeleton import PALM_JOINTS, inverse_kinematics, palm_normal
from semihand_mmpose.evaluation.prediction_dumps import load_dump, model_errors

ATTRIBUTES = ('view', 'curl', 'hidden')
UNITS = dict(view='deg', curl='deg', hidden='fraction')


def pose_attributes(gt3d: np.ndarray, visible: np.ndarray,
                    is_left: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
    """The attributes of a batch of ground-truth hands (camera frame, mm), each shape (N,).

    Args:
        gt3d (np.ndarray): Joints (N, 21, 3) in the camera frame.
        visible (np.ndarray): Bool (N, 21).
        is_left (np.ndarray, optional): Bool (N,). Defaults to right hands.
    """
    joints = torch.as_tensor(gt3d, dtype=torch.float64)
    left = None if is_left is None else torch.as_tensor(is_left, dtype=torch.bool)
    normal = palm_normal(joints, left)
    palm = joints[:, list(PALM_JOINTS)].mean(1)
    to_camera = -palm / palm.norm(dim=-1, keepdim=True).clamp_min(1e-8)
    cos = (normal * to_camera).sum(-1).clamp(-1.0, 1.0)
    flex = inverse_kinematics(joints, left)[3]
    return dict(view=torch.rad2deg(torch.acos(cos)).numpy(),
                curl=torch.rad2deg(flex).mean((1, 2)).numpy(),
                hidden=1.0 - visible.mean(1))


def quantile_bins(values: np.ndarray, num_bins: int) -> List[np.ndarray]:
    """Indices of the hands in each of ``num_bins`` bins of equal count, by ``values`` (ties kept
    together, so a bin may be empty and is then dropped)."""
    edges = np.quantile(values, np.linspace(0, 1, num_bins + 1))
    which = np.clip(np.searchsorted(edges, values, side='right') - 1, 0, num_bins - 1)
    return [np.flatnonzero(which == b) for b in range(num_bins) if (which == b).any()]


def analyse(dumps: Sequence[Dict[tuple, dict]], names: Sequence[str], num_bins: int) -> dict:
    """Per attribute, per bin: range, hands, each model's mean errors and share of the gap."""
    keys, errors = model_errors(dumps, names)  # errors (M, N, 2)
    first = dumps[0]
    attrs = pose_attributes(np.stack([first[k]['gt3d'] for k in keys]),
                            np.stack([first[k]['visible'] for k in keys]),
                            np.array([first[k]['is_left'] for k in keys]))
    gap = errors[0, :, 0] - errors[1, :, 0] if len(dumps) > 1 else None
    result = dict(hands=len(keys), models={
        n: dict(epe3d_mm=float(e[:, 0].mean()), epe2d_px=float(e[:, 1].mean()))
        for n, e in zip(names, errors)}, attributes={})
    for attr in ATTRIBUTES:
        rows = []
        for idx in quantile_bins(attrs[attr], num_bins):
            row = dict(lo=float(attrs[attr][idx].min()), hi=float(attrs[attr][idx].max()),
                       hands=int(len(idx)),
                       epe3d_mm={n: float(errors[m, idx, 0].mean()) for m, n in enumerate(names)},
                       epe2d_px={n: float(errors[m, idx, 1].mean()) for m, n in enumerate(names)})
            if gap is not None and abs(gap.sum()) > 0:
                row['gap_share'] = float(gap[idx].sum() / gap.sum())
            rows.append(row)
        result['attributes'][attr] = rows
    return result


def print_tables(result: dict, names: Sequence[str]) -> None:
    for attr, rows in result['attributes'].items():
        head = ' | '.join(f'{n} 3D (mm) | {n} 2D (px)' for n in names)
        share = ' | share of the gap' if rows and 'gap_share' in rows[0] else ''
        print(f'\n| {attr} ({UNITS[attr]}) | hands | {head}{share} |')
        print('|---' * (2 + 2 * len(names) + bool(share)) + '|')
        for r in rows:
            cells = ' | '.join(f'{r["epe3d_mm"][n]:.1f} | {r["epe2d_px"][n]:.2f}' for n in names)
            extra = f' | {r["gap_share"]:.0%}' if 'gap_share' in r else ''
            print(f'| {r["lo"]:.2f}-{r["hi"]:.2f} | {r["hands"]} | {cells}{extra} |')


def plot(result: dict, names: Sequence[str], out: str) -> None:
    from matplotlib.figure import Figure
    attrs = result['attributes']
    fig = Figure(figsize=(4.2 * len(attrs), 3.4))
    axes = fig.subplots(1, len(attrs))
    for ax, (attr, rows) in zip(np.atleast_1d(axes), attrs.items()):
        x = np.arange(len(rows))
        width = 0.8 / len(names)
        for m, n in enumerate(names):
            ax.bar(x + (m - (len(names) - 1) / 2) * width, [r['epe3d_mm'][n] for r in rows],
                   width, label=n)
        ax.set_xticks(x, [f'{r["lo"]:.2g}-{r["hi"]:.2g}' for r in rows], fontsize=8)
        ax.set_xlabel(f'{attr} ({UNITS[attr]})')
        ax.set_ylabel('3D EPE (mm)')
        ax.grid(axis='y', alpha=0.3)
    handles, labels = np.atleast_1d(axes)[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc='upper center', ncol=len(names), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    fig.savefig(out, dpi=120)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('dumps', nargs='+', help='tools/test.py --dump files, one per model')
    parser.add_argument('--names', nargs='*', help='one name per dump (default: the file names)')
    parser.add_argument('--group', default=None,
                        help='the test set (dataset_name) to analyse when a dump holds several')
    parser.add_argument('--bins', type=int, default=4, help='quantile bins per attribute')
    parser.add_argument('--out', default=None, help='write the plot here (a .png)')
    args = parser.parse_args(argv)
    names = args.names or [osp.splitext(osp.basename(p))[0] for p in args.dumps]
    if len(names) != len(args.dumps):
        parser.error(f'{len(args.dumps)} dumps but {len(names)} names')
    if args.bins < 1:
        parser.error(f'--bins must be at least 1, got {args.bins}')
    args.names = names
    return args


def main(argv=None):
    args = parse_args(argv)
    dumps = [load_dump(p, args.group) for p in args.dumps]
    result = analyse(dumps, args.names, args.bins)
    print(f'{result["hands"]} hands; mean errors: ' + ', '.join(
        f'{n} {m["epe3d_mm"]:.1f} mm / {m["epe2d_px"]:.2f} px'
        for n, m in result['models'].items()))
    if len(args.names) > 1:
        first, second = (result['models'][n]['epe3d_mm'] for n in args.names[:2])
        print(f'{args.names[0]} - {args.names[1]}: {first - second:+.2f} mm (3D, all hands); a '
              "bin's share is of this difference, so when it is small the shares are large and "
              'of both signs')
    print_tables(result, args.names)
    if args.out:
        plot(result, args.names, args.out)
        print(f'wrote {args.out}')
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
