# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Convert the Rendered Hand Pose dataset (RHD v2) to the 3D hand format.

Reads ``RHD_published_v2/{training,evaluation}/`` as published: ``color/%05d.png``,
``mask/%05d.png`` and ``anno_{training,evaluation}.pickle`` (``{id: {'xyz', 'uv_vis', 'K'}}``).

Conventions (stated, and what ``Hand3DDataset`` gets):

- one instance per hand (left: RHD keypoints 0-20, right: 21-41) with at least
  ``--min-visible`` visible keypoints inside the image (default 6); an image can give two;
- left and right hands are both kept as they are (not mirrored), with ``hand_side``;
- RHD lists each finger tip first; keypoints are reordered to the canonical base-to-tip order;
- ``keypoints`` flag 2 = visible in RHD's ``uv_vis``, 1 = occluded but labelled;
- ``keypoints_3d`` in mm (RHD's metres x 1000), camera frame; ``K`` per image;
- a binary mask per instance: the part labels of that hand (left 2-17, right 18-33), written to
  ``<out-dir>/masks/<split>/<id>_<side>.png``;
- the box is the keypoints' box grown by 10% of its larger side.

Example::

    python tools/dataset_converters/rhd_to_hand3d.py data/RHD_published_v2 --out-dir data/rhd
"""
import argparse
import os
import os.path as osp
import pickle
from typing import List, Optional

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from semihand_mmpose.datasets.hand3d_format import (hand_annotation, keypoint_bbox,
                                                    write_annotations)

#: canonical joint c comes from RHD joint RHD_TO_CANONICAL[c] (within one hand)
RHD_TO_CANONICAL = [0] + [1 + 4 * f + (3 - k) for f in range(5) for k in range(4)]
HANDS = dict(left=(0, range(2, 18)), right=(21, range(18, 34)))
SPLITS = dict(training='anno_training.pickle', evaluation='anno_evaluation.pickle')


def _field(entry: dict, key: str, shape, where: str) -> np.ndarray:
    if key not in entry:
        raise KeyError(f'{where}: no field "{key}"')
    arr = np.asarray(entry[key], np.float64)
    if arr.shape != shape:
        raise ValueError(f'{where}: field "{key}" has shape {arr.shape}, expected {shape}')
    if not np.all(np.isfinite(arr)):
        raise ValueError(f'{where}: field "{key}" has a non-finite value')
    return arr


def convert_split(root: str, split: str, out_dir: str, min_visible: int = 6) -> str:
    """Convert one split; returns the written annotation file."""
    split_dir = osp.join(root, split)
    ann_path = osp.join(split_dir, SPLITS[split])
    if not osp.isfile(ann_path):
        raise FileNotFoundError(f'RHD annotation file {ann_path} does not exist (expected the '
                                'layout RHD_published_v2/<split>/anno_<split>.pickle)')
    with open(ann_path, 'rb') as f:
        annos = pickle.load(f)
    if not isinstance(annos, dict):
        raise ValueError(f'{ann_path}: expected a dict {{sample_id: annotation}}')
    images, anns = [], []
    mask_dir = osp.join(out_dir, 'masks', split)
    os.makedirs(mask_dir, exist_ok=True)
    progress = ProgressBar(len(annos))
    for sample_id in sorted(annos):
        where = f'{ann_path}: sample {sample_id}'
        entry = annos[sample_id]
        xyz = _field(entry, 'xyz', (42, 3), where) * 1000.0
        uv_vis = _field(entry, 'uv_vis', (42, 3), where)
        K = _field(entry, 'K', (3, 3), where)
        color = osp.join(split_dir, 'color', f'{sample_id:05d}.png')
        mask_file = osp.join(split_dir, 'mask', f'{sample_id:05d}.png')
        img = cv2.imread(color, cv2.IMREAD_UNCHANGED)
        if img is None:
            raise FileNotFoundError(f'{where}: colour image {color} is missing or unreadable')
        parts = cv2.imread(mask_file, cv2.IMREAD_UNCHANGED)
        if parts is None:
            raise FileNotFoundError(f'{where}: part mask {mask_file} is missing or unreadable')
        h, w = img.shape[:2]
        if parts.shape[:2] != (h, w):
            raise ValueError(f'{where}: mask {mask_file} is {parts.shape[1]}x{parts.shape[0]} '
                             f'but image {color} is {w}x{h}')
        if parts.ndim == 3:
            parts = parts[..., 0]
        image_id = int(sample_id)
        images.append(dict(id=image_id, file_name=osp.relpath(color, root), width=w, height=h,
                           K=K.tolist()))
        for side, (offset, labels) in HANDS.items():
            order = [offset + j for j in RHD_TO_CANONICAL]
            uv, vis = uv_vis[order, :2], uv_vis[order, 2]
            inside = (uv[:, 0] >= 0) & (uv[:, 0] < w) & (uv[:, 1] >= 0) & (uv[:, 1] < h)
            if int(((vis > 0) & inside).sum()) < min_visible:
                continue
            hand_mask = np.isin(parts, list(labels)).astype(np.uint8) * 255
            mask_name = osp.join(mask_dir, f'{image_id:05d}_{side}.png')
            cv2.imwrite(mask_name, hand_mask)
            anns.append(hand_annotation(
                image_id * 2 + (side == 'right'), image_id, keypoint_bbox(uv, (w, h)), uv,
                np.where(vis > 0, 2.0, 1.0), xyz[order],
                mask_file=osp.relpath(mask_name, out_dir), hand_side=side))
        progress.update()
    out = osp.join(out_dir, f'rhd_{split}.json')
    write_annotations(out, images, anns, info=dict(
        description=f'RHD {split} converted by semihand_mmpose', min_visible=min_visible))
    return out


def main(argv: Optional[List[str]] = None) -> List[str]:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='the RHD_published_v2 folder')
    parser.add_argument('--out-dir', default='data/rhd')
    parser.add_argument('--splits', nargs='+', default=list(SPLITS), choices=list(SPLITS))
    parser.add_argument('--min-visible', type=int, default=6)
    args = parser.parse_args(argv)
    written = []
    for split in args.splits:
        written.append(convert_split(args.root, split, args.out_dir, args.min_visible))
        print(f'\nwrote {written[-1]}')
    return written


if __name__ == '__main__':
    main()
