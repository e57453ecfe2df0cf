# Copyright (c) semihand_mmpose authors. All rights reserved.
from .random_state_hook import RandomStateHook
from .semihand_hook import SemiHandHook
from .small_map_conv_grad_hook import SmallMapConv2d, SmallMapConvGradHook, use_small_map_conv_grad
from .visualization_hook import IntervalPoseVisualizationHook

__all__ = [
    'IntervalPoseVisualizationHook', 'RandomStateHook', 'SemiHandHook', 'SmallMapConv2d',
    'SmallMapConvGradHook', 'use_small_map_conv_grad'
]
