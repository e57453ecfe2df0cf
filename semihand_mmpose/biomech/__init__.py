# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Hand biomechanics: the skeleton, its anatomical limits and the pseudo-label corrector."""
from .corrector import BiomechanicalCorrector

__all__ = ['BiomechanicalCorrector']
