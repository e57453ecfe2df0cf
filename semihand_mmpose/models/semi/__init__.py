# Copyright (c) semihand_mmpose authors. All rights reserved.
from .pose_rasterizer import rasterize_hand_mask
from .pseudo_labeller import (PseudoLabeller, select, select_joints, select_pseudo_labels,
                              unusable_share)
from .semihand_estimator import SemiHandEstimator

__all__ = ['PseudoLabeller', 'SemiHandEstimator', 'rasterize_hand_mask', 'select',
           'select_joints', 'select_pseudo_labels', 'unusable_share']
