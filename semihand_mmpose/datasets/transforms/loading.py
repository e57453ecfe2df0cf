# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Load the hand mask that goes with an image."""
from typing import Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadHandMask(BaseTransform):
    """Load a binary hand mask from ``mask_path``.

    Samples without a mask (``mask_path`` missing or ``None``) get an all-zero mask and
    ``has_mask=False``, so a batch can mix datasets with and without masks and the mask loss skips
    the ones that have none.

    Required Keys:
        - img_shape
        - mask_path (optional)

    Added Keys:
        - hand_mask (np.ndarray): uint8 (H, W) in {0, 1}
        - has_mask (bool)
    """

    def transform(self, results: dict) -> Optional[dict]:
        path = results.get('mask_path')
        h, w = results['img_shape'][:2]
        if path is None:
            results['hand_mask'] = np.zeros((h, w), np.uint8)
            results['has_mask'] = False
            return results
        mask = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        if mask is None:
            raise FileNotFoundError(f'hand mask {path!r} (field "mask_path" of image '
                                    f'{results.get("img_path")!r}) cannot be read')
        if mask.shape != (h, w):
            raise ValueError(f'hand mask {path!r} is {mask.shape[1]}x{mask.shape[0]} but its image '
                             f'{results.get("img_path")!r} is {w}x{h}')
        results['hand_mask'] = (mask > 127).astype(np.uint8)
        results['has_mask'] = True
        return results
