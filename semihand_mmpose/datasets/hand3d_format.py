# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Writing the 3D hand format that :class:`Hand3DDataset` reads (generator and converters share it)."""
import json
import os
import os.path as osp
from typing import List, Sequence, Tuple

import numpy as np

CATEGORIES = [dict(id=1, name='hand', supercategory='hand')]


def keypoint_bbox(uv: np.ndarray, image_size: Tuple[int, int], margin: float = 0.1) -> List[float]:
    """A box (x, y, w, h) around 2D keypoints, grown by ``margin`` of its larger side, clipped.

    Args:
        uv (np.ndarray): Keypoints (N, 2) in pixels.
        image_size (tuple): ``(width, height)`` of the image.
        margin (float): Fraction of the box's larger side added on each side.

    Returns:
        list: ``[x, y, w, h]``.
    """
    lo, hi = uv.min(0), uv.max(0)
    pad = margin * float((hi - lo).max())
    lo = np.maximum(lo - pad, 0.0)
    hi = np.minimum(hi + pad, np.asarray(image_size, np.float64) - 1.0)
    return [float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1])]


def write_annotations(path: str, images: Sequence[dict], annotations: Sequence[dict],
                      info: dict) -> None:
    """Write a COCO-style 3D hand JSON atomically: a reader sees the old file or the new one."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp-{os.getpid()}'
    try:
        with open(tmp, 'w') as f:
            json.dump(dict(info=info, images=list(images), annotations=list(annotations),
                           categories=CATEGORIES), f)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
