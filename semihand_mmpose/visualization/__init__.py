# Copyright (c) semihand_mmpose authors. All rights reserved.
from .curves import plot_pck_curves, plot_rounds

__all__ = ['plot_pck_curves', 'plot_rounds']
