# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Plots of results people would rather see than read: PCK curves and pseudo-label rounds."""
from typing import Dict, List

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


def plot_pck_curves(curves: Dict[str, dict], out: str, ylabel: str = '3D PCK') -> None:
    """One PCK curve per label.

    Args:
        curves (dict): label -> a curve as ``Hand3DMetric`` writes it (``thresholds_mm``, ``pck``,
            ``auc``).
        out (str): The image file to write.
    """
    fig = Figure(figsize=(5.5, 4))
    ax = fig.subplots()
    # beyond matplotlib's 10 colours, the next curves change line style instead of repeating one
    for i, (label, c) in enumerate(curves.items()):
        style = ('-', '--', ':')[i // 10 % 3]
        ax.plot(c['thresholds_mm'], c['pck'], color=f'C{i % 10}', linestyle=style,
                label=f'{label}: AUC={c["auc"]:.3f}')
    ax.set_xlabel('error threshold (mm)')
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def plot_rounds(rounds: Dict[str, List[dict]], out: str) -> None:
    """Per round: pseudo-label movement, their error against hidden labels, mean confidence.

    Args:
        rounds (dict): label -> the rows of a ``rounds.json`` written by ``SemiHandHook``.
        out (str): The image file to write.
    """
    panels = (('movement_px', 'mean movement since last round (px)'),
              ('pseudo_epe2d_px', 'pseudo-label 2D error vs hidden labels (px)'),
              ('confidence', 'mean confidence'))
    fig = Figure(figsize=(12, 3.5))
    axes = fig.subplots(1, len(panels))
    for label, rows in rounds.items():
        for ax, (key, _) in zip(axes, panels):
            points = [(r['round'], r[key]) for r in rows if key in r]
            if points:
                ax.plot(*zip(*points), marker='o', label=label)
    for ax, (_, title) in zip(axes, panels):
        ax.set_xlabel('round')
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title, fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)

