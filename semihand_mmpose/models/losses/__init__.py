# Copyright (c) semihand_mmpose authors. All rights reserved.
from .mask_loss import SoftMaskLoss

__all__ = ['SoftMaskLoss']
