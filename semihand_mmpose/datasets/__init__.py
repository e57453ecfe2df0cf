# Copyright (c) semihand_mmpose authors. All rights reserved.
from .hand3d_dataset import AnnotationError, Hand3DDataset
from .samplers import *  # noqa: F401,F403
from .synthetic_hand_dataset import SyntheticHand3DDataset
from .transforms import *  # noqa: F401,F403

__all__ = ['AnnotationError', 'Hand3DDataset', 'SyntheticHand3DDataset']
