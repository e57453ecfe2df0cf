# Copyright (c) semihand_mmpose authors. All rights reserved.
from .burn_in_multi_source_sampler import BurnInMultiSourceSampler

__all__ = ['BurnInMultiSourceSampler']
