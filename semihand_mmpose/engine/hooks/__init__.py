# Copyright (c) semihand_mmpose authors. All rights reserved.
from .semihand_hook import PseudoLabelFileError, SemiHandHook, check_round_shapes
from .small_map_conv_grad_hook import SmallMapConv2d, SmallMapConvGradHook, use_small_map_conv_grad

__all__ = [
    'PseudoLabelFileError', 'SemiHandHook', 'check_round_shapes', 'SmallMapConv2d',
    'SmallMapConvGradHook', 'use_small_map_conv_grad'
]
