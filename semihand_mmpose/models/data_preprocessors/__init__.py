# Copyright (c) semihand_mmpose authors. All rights reserved.
from .multi_branch_data_preprocessor import SemiHandDataPreprocessor

__all__ = ['SemiHandDataPreprocessor']
