# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Auxiliary hand-mask head: the second modality of SemiHand's cross-modal consistency."""
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmpose.models.heads.base_head import BaseHead
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptSampleList
from torch import Tensor


@MODELS.register_module()
class HandMaskHead(BaseHead):
    """Predict a hand mask (logits) at ``out_size`` from the backbone's last feature map.

    A light decoder (conv, bilinear upsampling, conv, 1x1) kept small so it costs little next to the
    pose head. Trained where a sample has a mask (``has_mask`` in its metainfo) and skipped where it
    has none, so masked (RHD, synthetic) and unmasked (STB, DO) data can share a batch.

    Args:
        in_channels (int): Channels of the backbone's last feature map.
        out_size (tuple): ``(w, h)`` of the predicted mask.
        mid_channels (int): Width of the decoder. Defaults to 64.
        loss (dict): Mask loss. Defaults to :class:`SoftMaskLoss` (BCE + Dice).
    """

    def __init__(self, in_channels: int, out_size: Tuple[int, int], mid_channels: int = 64,
                 loss: ConfigType = dict(type='SoftMaskLoss'), init_cfg=None) -> None:
        super().__init__(init_cfg)
        self.out_size = tuple(out_size)
        norm = dict(type='BN')
        self.reduce = ConvModule(in_channels, mid_channels, 3, padding=1, norm_cfg=norm)
        self.refine = ConvModule(mid_channels, mid_channels, 3, padding=1, norm_cfg=norm)
        self.final = nn.Conv2d(mid_channels, 1, 1)
        self.loss_module = MODELS.build(loss)

    def forward(self, feats: Tuple[Tensor]) -> Tensor:
        """Mask logits (N, 1, h, w)."""
        x = self.reduce(feats[-1])
        w, h = self.out_size
        x = F.interpolate(x, size=(h, w), mode='bilinear', align_corners=False)
        return self.final(self.refine(x))

    def predict(self, feats: Tuple[Tensor], batch_data_samples: OptSampleList,
                test_cfg: ConfigType = {}) -> Tensor:
        """Mask probabilities (N, 1, h, w)."""
        return self.forward(feats).sigmoid()

    def loss(self, feats: Tuple[Tensor], batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        """Mask loss on the samples that have a mask; 0 (with gradient) when none has."""
        logits = self.forward(feats)
        weight = logits.new_tensor(
            [float(d.metainfo.get('has_mask', False)) for d in batch_data_samples])
        target = torch.stack([d.gt_fields.hand_mask for d in batch_data_samples]).to(logits)
        target = F.interpolate(target, size=logits.shape[-2:], mode='area')
        return dict(loss_mask=self.loss_module(logits, target, weight))
