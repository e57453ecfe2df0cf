# Copyright (c) semihand_mmpose authors. All rights reserved.
"""BCE + Dice between mask logits and soft targets, weighted per sample."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpose.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class SoftMaskLoss(nn.Module):
    """Binary cross-entropy plus Dice loss for a one-channel mask.

    Targets may be soft (area-downsampled masks, or masks rasterised from a pose for cross-modal
    consistency), and each sample has a weight (0 skips it). mmdet's ``CrossEntropyLoss(use_mask=
    True)`` picks per-class instance masks by label and its ``DiceLoss`` has no BCE term, so neither
    fits a single soft hand mask; this module is the two terms in a few lines.

    Args:
        bce_weight (float): Weight of the BCE term. Defaults to 1.
        dice_weight (float): Weight of the Dice term. Defaults to 1.
        loss_weight (float): Overall weight. Defaults to 1.
        eps (float): Dice smoothing. Defaults to 1.
    """

    def __init__(self, bce_weight: float = 1.0, dice_weight: float = 1.0, loss_weight: float = 1.0,
                 eps: float = 1.0) -> None:
        super().__init__()
        self.bce_weight = bce_weight
        self.dice_weight = dice_weight
        self.loss_weight = loss_weight
        self.eps = eps

    def forward(self, logits: Tensor, target: Tensor, weight: Optional[Tensor] = None) -> Tensor:
        """Loss of logits (N, 1, H, W) against targets in [0, 1] of the same shape.

        Args:
            weight (Tensor, optional): Per-sample weights (N,). The result is the weighted mean
                over samples, and exactly 0 (still attached to the graph) when all weights are 0.
        """
        n = logits.shape[0]
        if weight is None:
            weight = logits.new_ones(n)
        bce = F.binary_cross_entropy_with_logits(logits, target, reduction='none')
        bce = bce.flatten(1).mean(1)
        prob = logits.sigmoid().flatten(1)
        tgt = target.flatten(1)
        dice = 1.0 - (2.0 * (prob * tgt).sum(1) + self.eps) / (prob.sum(1) + tgt.sum(1) + self.eps)
        per_sample = self.bce_weight * bce + self.dice_weight * dice
        total = (per_sample * weight).sum() / weight.sum().clamp_min(1.0)
        return self.loss_weight * total
