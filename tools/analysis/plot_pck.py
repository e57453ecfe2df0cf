# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Plot 3D PCK curves written by ``Hand3DMetric(outfile_prefix=...)``.

Example::

    python tools/analysis/plot_pck.py work_dirs/a/result.pck.json work_dirs/b/result.pck.json \
        --labels source-only SemiHand --out pck.png
"""
import argparse
import json

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('curves', nargs='+', help='*.pck.json files')
    parser.add_argument('--labels', nargs='*', help='one label per file')
    parser.add_argument('--group', default=None, help='dataset_name to plot (default: all)')
    parser.add_argument('--out', default='pck.png')
    args = parser.parse_args()
    labels = args.labels or args.curves
    fig, ax = plt.subplots(figsize=(5, 4))
    for path, label in zip(args.curves, labels):
        with open(path) as f:
            groups = json.load(f)
        for name, c in groups.items():
            if args.group and name != args.group:
                continue
            tag = label if len(groups) == 1 or args.group else f'{label} ({name})'
            ax.plot(c['thresholds_mm'], c['pck'], label=f'{tag}: AUC={c["auc"]:.3f}')
    ax.set_xlabel('error threshold (mm)')
    ax.set_ylabel('3D PCK')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
