# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Plot the pseudo-labels' movement per round (the convergence curve of SemiHand's figure 9).

Draws, per round, the mean movement of the pseudo-labels since the last round, their 2D error
against the hidden labels (where the hook had them) and their mean confidence, one line per
``rounds.json``; prints the last round's figures of each and a JSON line with them.

Example::

    python tools/analysis/plot_rounds.py work_dirs/semihand_synth/pseudo_labels/rounds.json \
        --out rounds.png
"""
import argparse
import json
from typing import Dict, List

from semihand_mmpose.visualization import plot_rounds

#: what the plot draws of each row (a row may lack any but ``round``)
ROUND_KEYS = ('movement_px', 'pseudo_epe2d_px', 'confidence')


def read_rounds(path: str) -> List[dict]:
    """The rows of one ``rounds.json``, checked for a round number each and something to draw."""
    with open(path) as f:
        rows = json.load(f)
    if (not isinstance(rows, list) or not rows
            or not all(isinstance(r, dict) and 'round' in r for r in rows)):
        raise ValueError(f'{path}: expected a non-empty JSON list of rows with a "round" each, '
                         f'as SemiHandHook writes rounds.json; got {str(rows)[:80]}')
    if not any(k in r for r in rows for k in ROUND_KEYS):
        raise ValueError(f'{path}: no row has any of {list(ROUND_KEYS)}: nothing to draw')
    return rows


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('rounds', nargs='+', help='rounds.json files written by SemiHandHook')
    parser.add_argument('--labels', nargs='*', help='one label per file (default: the paths)')
    parser.add_argument('--out', default='rounds.png')
    args = parser.parse_args(argv)
    if args.labels and len(args.labels) != len(args.rounds):
        parser.error(f'{len(args.rounds)} files but {len(args.labels)} labels')
    return args


def main(argv=None) -> Dict[str, dict]:
    """Draw the rounds; returns ``label -> the last round's row``."""
    args = parse_args(argv)
    rounds = {label: read_rounds(path)
              for path, label in zip(args.rounds, args.labels or args.rounds)}
    plot_rounds(rounds, args.out)
    last = {label: rows[-1] for label, rows in rounds.items()}
    for label, row in last.items():
        print(f'{label}: round {row["round"]}, ' + ', '.join(
            f'{k} {row[k]:.4f}' for k in ROUND_KEYS if k in row))
    print(f'wrote {args.out}')
    print(json.dumps(dict(last_round=last, out=args.out)))
    return last


if __name__ == '__main__':
    main()
