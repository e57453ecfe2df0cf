# Copyright (c) semihand_mmpose authors. All rights reserved.
from .detector_failures import DisplaceBBox
from .formatting import PackHand3DInputs
from .hand_affine import HandAffine
from .loading import LoadHandMask
from .perturbation import FastRandomBBoxTransform, FixedBBoxTransform, RandomBlurNoise

__all__ = [
    'DisplaceBBox', 'FastRandomBBoxTransform', 'FixedBBoxTransform', 'HandAffine', 'LoadHandMask',
    'PackHand3DInputs', 'RandomBlurNoise'
]
