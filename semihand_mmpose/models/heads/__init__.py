# Copyright (c) semihand_mmpose authors. All rights reserved.
from .hand25d_head import Hand25DHead
from .hand_mask_head import HandMaskHead

__all__ = ['Hand25DHead', 'HandMaskHead']
