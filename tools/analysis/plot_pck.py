# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Plot 3D PCK curves written by ``Hand3DMetric(outfile_prefix=...)``.

Each ``*.pck.json`` holds one curve per test set (``dataset_name``); ``--group`` picks one, else
every curve of every file is drawn. Prints each curve's AUC and a JSON line with them.

Example::

    python tools/analysis/plot_pck.py work_dirs/a/final.pck.json work_dirs/b/final.pck.json \
        --labels source-only SemiHand --group synthetic_target --out pck.png
"""
import argparse
import json
from typing import Dict

from semihand_mmpose.visualization import plot_pck_curves

CURVE_KEYS = ('thresholds_mm', 'pck', 'auc')


def read_curves(path: str) -> Dict[str, dict]:
    """``dataset_name -> curve`` of one ``*.pck.json``, each curve checked for what the plot
    needs."""
    with open(path) as f:
        groups = json.load(f)
    if not isinstance(groups, dict) or not groups:
        raise ValueError(f'{path}: expected a JSON object of curves by dataset_name, as '
                         'Hand3DMetric(outfile_prefix=...) writes; got '
                         f'{type(groups).__name__} {str(groups)[:60]}')
    for name, curve in groups.items():
        missing = [k for k in CURVE_KEYS if not isinstance(curve, dict) or k not in curve]
        if missing:
            raise ValueError(f'{path}: curve {name!r} has no {missing} (expected the keys '
                             f'{list(CURVE_KEYS)} of Hand3DMetric)')
        if len(curve['thresholds_mm']) != len(curve['pck']):
            raise ValueError(f'{path}: curve {name!r} has {len(curve["thresholds_mm"])} '
                             f'thresholds but {len(curve["pck"])} PCK values')
    return groups


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('curves', nargs='+', help='*.pck.json files')
    parser.add_argument('--labels', nargs='*', help='one label per file (default: the paths)')
    parser.add_argument('--group', default=None, help='dataset_name to plot (default: all)')
    parser.add_argument('--out', default='pck.png')
    args = parser.parse_args(argv)
    if args.labels and len(args.labels) != len(args.curves):
        parser.error(f'{len(args.curves)} files but {len(args.labels)} labels')
    return args


def main(argv=None) -> Dict[str, float]:
    """Draw the curves; returns ``label -> AUC`` as drawn."""
    args = parse_args(argv)
    curves = {}
    for path, label in zip(args.curves, args.labels or args.curves):
        groups = read_curves(path)
        if args.group is not None and args.group not in groups:
            raise ValueError(f'{path}: no curve of test set {args.group!r} (--group); it has '
                             f'{sorted(groups)}')
        for name, curve in groups.items():
            if args.group is None or name == args.group:
                tag = label if len(groups) == 1 or args.group else f'{label} ({name})'
                curves[tag] = curve
    plot_pck_curves(curves, args.out)
    aucs = {tag: float(curve['auc']) for tag, curve in curves.items()}
    for tag, auc in aucs.items():
        print(f'{tag}: AUC {auc:.4f}')
    print(f'wrote {args.out}')
    print(json.dumps(dict(auc=aucs, out=args.out)))
    return aucs


if __name__ == '__main__':
    main()
