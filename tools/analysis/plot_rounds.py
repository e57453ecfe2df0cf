# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Plot the pseudo-labels' movement per round (the convergence curve of SemiHand's figure 9).

Example::

    python tools/analysis/plot_rounds.py work_dirs/semihand_synth/pseudo_labels/rounds.json \
        --out rounds.png
"""
import argparse
import json

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('rounds', nargs='+', help='rounds.json files written by SemiHandHook')
    parser.add_argument('--labels', nargs='*')
    parser.add_argument('--out', default='rounds.png')
    args = parser.parse_args()
    labels = args.labels or args.rounds
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    for path, label in zip(args.rounds, labels):
        with open(path) as f:
            rows = json.load(f)
        moved = [(r['round'], r['movement_px']) for r in rows if 'movement_px' in r]
        err = [(r['round'], r['pseudo_epe2d_px']) for r in rows if 'pseudo_epe2d_px' in r]
        conf = [(r['round'], r['confidence']) for r in rows if 'confidence' in r]
        for ax, data in zip(axes, (moved, err, conf)):
            if data:
                ax.plot(*zip(*data), marker='o', label=label)
    for ax, title in zip(axes, ('mean movement since last round (px)',
                                'pseudo-label 2D error vs hidden labels (px)',
                                'mean confidence')):
        ax.set_xlabel('round')
        ax.set_title(title, fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
