# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Writing the 3D hand format that :class:`Hand3DDataset` reads (generator and converters share
it)."""
import json
from typing import List, Sequence, Tuple

import numpy as np

from semihand_mmpose.fileio import AtomicLocalBackend

CATEGORIES = [dict(id=1, name='hand', supercategory='hand')]
#: the values of an annotation's ``hand_side`` (absent: ``'right'``)
HAND_SIDES = ('left', 'right')


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


def unlabelled_annotation(ann_id: int, image_id: int, bbox: List[float], **extra) -> dict:
    """One hand's record without labels: its box only (``Hand3DDataset(labelled=False)``).

    Args:
        ann_id (int): Annotation id.
        image_id (int): Id of its image.
        bbox (list): ``[x, y, w, h]``.
        **extra: Optional fields (``hand_side``...).

    Returns:
        dict: The record, with no keypoints.
    """
    return dict(id=int(ann_id), image_id=int(image_id), category_id=1, iscrowd=0,
                bbox=[float(v) for v in bbox], area=float(bbox[2] * bbox[3]), num_keypoints=0,
                **extra)


def hand_annotation(ann_id: int, image_id: int, bbox: List[float], uv: np.ndarray,
                    flags: np.ndarray, joints_3d: np.ndarray, **extra) -> dict:
    """One hand's annotation record: :func:`unlabelled_annotation` with the labels.

    Args:
        ann_id (int): Annotation id.
        image_id (int): Id of its image.
        bbox (list): ``[x, y, w, h]``.
        uv (np.ndarray): Keypoints (21, 2) in pixels.
        flags (np.ndarray): (21,) 2 visible, 1 labelled but hidden, 0 unlabelled.
        joints_3d (np.ndarray): (21, 3) mm, camera frame.
        **extra: Optional fields (``mask_file``, ``hand_side``, ``keypoints_3d_valid``...).

    Returns:
        dict: The record; ``area`` and ``num_keypoints`` follow from ``bbox`` and ``flags``.
    """
    keypoints = np.concatenate([np.asarray(uv, np.float64), np.asarray(flags, np.float64)[:, None]],
                               axis=1)
    return unlabelled_annotation(ann_id, image_id, bbox, **extra) | dict(
        num_keypoints=int(np.count_nonzero(flags)), keypoints=keypoints.ravel().tolist(),
        keypoints_3d=np.asarray(joints_3d).tolist())


def write_annotations(path: str, images: Sequence[dict], annotations: Sequence[dict],
                      info: dict) -> None:
    """Write a COCO-style 3D hand JSON atomically (:class:`AtomicLocalBackend`): a reader sees the
    old file or the new one."""
    AtomicLocalBackend().put_text(
        json.dumps(dict(info=info, images=list(images), annotations=list(annotations),
                        categories=CATEGORIES)), path)
