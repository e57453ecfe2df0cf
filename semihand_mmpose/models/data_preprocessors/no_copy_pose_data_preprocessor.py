# Copyright (c) semihand_mmpose authors. All rights reserved.
"""MMPose's pose preprocessing without copying data samples that need not move."""
import torch
from mmengine.structures import BaseDataElement
from mmpose.models.data_preprocessors import PoseDataPreprocessor
from mmpose.registry import MODELS


def on_device(element: BaseDataElement, device: torch.device) -> bool:
    """Whether ``element.to(device)`` would move nothing: every value it would call ``.to`` on is
    a tensor already on ``device`` or a data element whose values all are."""
    for value in element.values():
        if isinstance(value, torch.Tensor):
            if value.device != device:
                return False
        elif isinstance(value, BaseDataElement):
            if not on_device(value, device):
                return False
        elif hasattr(value, 'to'):  # something else that moves: leave it to ``.to``
            return False
    return True


@MODELS.register_module()
class NoCopyPoseDataPreprocessor(PoseDataPreprocessor):
    """MMPose's ``PoseDataPreprocessor`` that passes on data samples already on its device
    instead of copying them.

    Why: MMEngine's ``cast_data`` calls ``.to(device)`` on every data sample, and
    ``BaseDataElement.to`` builds a new sample, deep-copying its metainfo and every nested element,
    even when nothing moves. For CPU training that is pure cost: 11 of the 14 ms it takes to
    preprocess a batch of 32 hands on 2 cores. Samples that do move (to a GPU) are copied as
    before; images and results are the same either way. Arguments as ``PoseDataPreprocessor``.
    """

    def cast_data(self, data):
        if isinstance(data, BaseDataElement) and on_device(data, self.device):
            return data
        return super().cast_data(data)
