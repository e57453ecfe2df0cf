# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Crop the hand with an affine warp that records its 3x3 matrix."""
from typing import Optional, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS

from semihand_mmpose.geometry import apply_affine, crop_matrix, warp_intrinsics


@TRANSFORMS.register_module()
class HandAffine(BaseTransform):
    """Warp the hand's box to the network input, keeping the map that did it.

    Replaces MMPose's ``TopdownAffine`` (same box convention: ``bbox_center``, ``bbox_scale``,
    optional ``bbox_rotation`` from ``RandomBBoxTransform``), which records nothing and whose
    prediction mapping drops the rotation. Here the full image-to-input matrix is stored as
    ``crop_matrix`` (3x3), so keypoints, pseudo-labels and masks can be carried between views
    exactly, and the camera intrinsics of the crop (``input_K = crop_matrix @ K``) keep 2.5D-to-3D
    lifting correct inside the crop.

    Required Keys:
        - img, bbox_center, bbox_scale
        - bbox_rotation (optional), keypoints (optional), K (optional), hand_mask (optional)

    Modified Keys:
        - img, bbox_scale, hand_mask

    Added Keys:
        - crop_matrix (np.ndarray): (3, 3) float32, image pixels -> input pixels
        - input_K (np.ndarray): (3, 3) float32, present when ``K`` is
        - transformed_keypoints, input_size, input_center, input_scale

    Args:
        input_size (tuple): ``(w, h)`` of the network input.
    """

    def __init__(self, input_size: Tuple[int, int]) -> None:
        super().__init__()
        self.input_size = tuple(int(v) for v in input_size)

    @staticmethod
    def _fix_aspect_ratio(bbox_scale: np.ndarray, aspect_ratio: float) -> np.ndarray:
        w, h = np.hsplit(bbox_scale, [1])
        return np.where(w > h * aspect_ratio, np.hstack([w, w / aspect_ratio]),
                        np.hstack([h * aspect_ratio, h]))

    def transform(self, results: dict) -> Optional[dict]:
        w, h = self.input_size
        results['bbox_scale'] = self._fix_aspect_ratio(results['bbox_scale'], w / h)
        if results['bbox_center'].shape[0] != 1:
            raise ValueError('HandAffine crops one hand per sample, got '
                             f'{results["bbox_center"].shape[0]} boxes')
        center = results['bbox_center'][0]
        scale = results['bbox_scale'][0]
        rotation = float(results['bbox_rotation'][0]) if 'bbox_rotation' in results else 0.0
        matrix = crop_matrix(center, scale, rotation, (w, h))

        results['img'] = cv2.warpAffine(results['img'], matrix[:2], (w, h), flags=cv2.INTER_LINEAR)
        if 'hand_mask' in results:
            results['hand_mask'] = cv2.warpAffine(results['hand_mask'], matrix[:2], (w, h),
                                                  flags=cv2.INTER_NEAREST)
        if results.get('keypoints') is not None:
            transformed = results['keypoints'].copy()
            transformed[..., :2] = apply_affine(results['keypoints'][..., :2], matrix)
            results['transformed_keypoints'] = transformed.astype(np.float32)
        if results.get('K') is not None:
            results['input_K'] = warp_intrinsics(results['K'], matrix).astype(np.float32)
        results['crop_matrix'] = matrix.astype(np.float32)
        results['input_size'] = (w, h)
        results['input_center'] = center
        results['input_scale'] = scale
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(input_size={self.input_size})'
