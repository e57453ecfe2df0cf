# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Plot the pseudo-labels' movement per round (the convergence curve of SemiHand's figure 9).

Example::

    python tools/analysis/plot_rounds.py work_dirs/semihand_synth/pseudo_labels/rounds.json \
        --out rounds.png
"""
import argparse
import json

from semihand_mmpose.visualization import plot_rounds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('rounds', nargs='+', help='rounds.json files written by SemiHandHook')
    parser.add_argument('--labels', nargs='*')
    parser.add_argument('--out', default='rounds.png')
    args = parser.parse_args()
    rounds = {}
    for path, label in zip(args.rounds, args.labels or args.rounds):
        with open(path) as f:
            rounds[label] = json.load(f)
    plot_rounds(rounds, args.out)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
