# Copyright (c) semihand_mmpose authors. All rights reserved.
from .hand3d_metric import Hand3DMetric

__all__ = ['Hand3DMetric']
