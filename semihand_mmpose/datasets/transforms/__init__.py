# Copyright (c) semihand_mmpose authors. All rights reserved.
from .formatting import PackHand3DInputs
from .hand_affine import HandAffine
from .loading import LoadHandMask
from .perturbation import FixedBBoxTransform, RandomBlurNoise

__all__ = [
    'FixedBBoxTransform', 'HandAffine', 'LoadHandMask', 'PackHand3DInputs', 'RandomBlurNoise'
]
