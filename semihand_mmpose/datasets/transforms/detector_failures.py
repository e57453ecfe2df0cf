# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Simulated detector failures, for studying pseudo-label selection.

A real unlabelled set is cropped around the boxes of a hand detector, which now and then misses
part of the hand; the pseudo-labels of such crops are the failures that SemiHand's confidence
selection is there to leave out. The in-project synthetic target is cropped around its own
labels and has no such tail. ``DisplaceBBox`` gives an unlabelled set one, so that what selection
does with failures can be measured (``configs/ablations/semihand_synth_displaced_boxes*.py``).
"""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS


@TRANSFORMS.register_module()
class DisplaceBBox(BaseTransform):
    """Move the box of a fixed share of the samples, as a detector that misses part of the hand.

    Which samples move, and in which direction, is drawn from ``seed`` and the sample's ``id``
    alone: every view, round, epoch and process crops a sample the same way, as one detector's
    boxes would. Put it after ``GetBBoxCenterScale`` in both the unlabelled training pipeline and
    the hook's labelling pipeline; with ``eval_target_bn`` the hook then also estimates the test's
    batch-norm statistics on displaced crops, so compare such runs with each other.

    Required keys: ``id``, ``bbox_center``, ``bbox_scale``. Modified keys: ``bbox_center``.
    Added keys: ``bbox_displaced`` (bool).

    Args:
        fraction (float): Share of the samples whose box moves, in [0, 1].
        shift (float): How far the centre moves, as a fraction of the box's size (its longer side
            for a non-square box). Defaults to 0.35.
        seed (int): Which samples move, and where. Defaults to 0.
    """

    def __init__(self, fraction: float, shift: float = 0.35, seed: int = 0) -> None:
        super().__init__()
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f'DisplaceBBox: fraction must be in [0, 1], got {fraction}')
        self.fraction = float(fraction)
        self.shift = float(shift)
        self.seed = int(seed)

    def transform(self, results: dict) -> Optional[dict]:
        if 'id' not in results:
            raise KeyError('DisplaceBBox needs each sample\'s "id" (Hand3DDataset provides it) to '
                           f'displace the same boxes every time; got keys {sorted(results)}')
        rng = np.random.default_rng([self.seed, int(results['id'])])
        moved, angle = rng.uniform() < self.fraction, rng.uniform(0.0, 2.0 * np.pi)
        if moved:
            size = results['bbox_scale'].max(axis=-1, keepdims=True)
            direction = np.array([np.cos(angle), np.sin(angle)], np.float32)
            results['bbox_center'] = results['bbox_center'] + self.shift * size * direction
        results['bbox_displaced'] = bool(moved)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(fraction={self.fraction}, shift={self.shift}, '
                f'seed={self.seed})')
