# Copyright (c) semihand_mmpose authors. All rights reserved.
from .hand3d_estimator import Hand3DPoseEstimator

__all__ = ['Hand3DPoseEstimator']
