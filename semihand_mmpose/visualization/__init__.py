# Copyright (c) semihand_mmpose authors. All rights reserved.
from .curves import plot_pck_curves, plot_rounds
from .predictions import plot_image_predictions, plot_predictions

__all__ = ['plot_pck_curves', 'plot_rounds', 'plot_image_predictions', 'plot_predictions']
