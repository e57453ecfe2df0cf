# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Plot 3D PCK curves written by ``Hand3DMetric(outfile_prefix=...)``.

Example::

    python tools/analysis/plot_pck.py work_dirs/a/final.pck.json work_dirs/b/final.pck.json \
        --labels source-only SemiHand --group synthetic_target --out pck.png
"""
import argparse
import json

from semihand_mmpose.visualization import plot_pck_curves


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('curves', nargs='+', help='*.pck.json files')
    parser.add_argument('--labels', nargs='*', help='one label per file')
    parser.add_argument('--group', default=None, help='dataset_name to plot (default: all)')
    parser.add_argument('--out', default='pck.png')
    args = parser.parse_args()
    curves = {}
    for path, label in zip(args.curves, args.labels or args.curves):
        with open(path) as f:
            groups = json.load(f)
        for name, curve in groups.items():
            if args.group is None or name == args.group:
                tag = label if len(groups) == 1 or args.group else f'{label} ({name})'
                curves[tag] = curve
    plot_pck_curves(curves, args.out)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
