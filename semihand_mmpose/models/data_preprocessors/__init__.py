# Copyright (c) semihand_mmpose authors. All rights reserved.
from .multi_branch_data_preprocessor import SemiHandDataPreprocessor
from .no_copy_pose_data_preprocessor import NoCopyPoseDataPreprocessor

__all__ = ['NoCopyPoseDataPreprocessor', 'SemiHandDataPreprocessor']
