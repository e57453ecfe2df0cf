# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Convert the Stereo Hand Pose Tracking Benchmark (STB) to the 3D hand format.

Reads the RealSense (SK) colour sequences as published: ``<root>/images/<Seq>/SK_color_<i>.png``
and ``<root>/labels/<Seq>_SK.mat`` with ``handPara`` of shape (3, 21, 1500) in mm, for the 12
sequences ``B1..B6 x {Counting, Random}``.

Conventions (stated):

- SK labels are depth-camera coordinates. STB's readme gives a rotation vector
  (0.00531, -0.01196, 0.00301) and a translation T = (-24.0381, -0.4563, -1.2326) mm that
  "transform the coordinates relative to color camera to those relative to depth camera":
  ``depth = R colour + T``. The labels are moved to the colour camera by its inverse,
  ``colour = R^T (depth - T)``, then projected with the colour intrinsics fx 607.92271,
  fy 607.88192, cx 314.78337, cy 236.42484;
- STB's root is the palm centre, not the wrist: the wrist is placed at
  ``middle MCP + 2.2 (palm - middle MCP)``, so the model's root and reference bone (wrist ->
  middle MCP) mean the same as on RHD;
- STB orders palm, little, ring, middle, index, thumb (each MCP -> tip): reordered to canonical;
- only left hands (``hand_side='left'``); every joint is labelled, none is marked occluded (STB has
  no visibility), so all flags are 2; no masks;
- split: train B2-B6, test B1 (Counting + Random); the box is the keypoints' box grown by 10%.

Example::

    python tools/dataset_converters/stb_to_hand3d.py data/STB --out-dir data/stb
"""
import argparse
import os.path as osp
from typing import List, Optional

import cv2
import numpy as np
from mmengine.utils import ProgressBar
from scipy.io import loadmat

from semihand_mmpose.datasets.hand3d_format import (hand_annotation, keypoint_bbox,
                                                    write_annotations)

SEQUENCES = [f'B{b}{kind}' for b in range(1, 7) for kind in ('Counting', 'Random')]
SPLITS = dict(train=[s for s in SEQUENCES if not s.startswith('B1')],
              test=[s for s in SEQUENCES if s.startswith('B1')])
K_COLOR = np.array([[607.92271, 0.0, 314.78337], [0.0, 607.88192, 236.42484], [0.0, 0.0, 1.0]])
ROTVEC = np.array([0.00531, -0.01196, 0.00301])
TRANSLATION = np.array([-24.0381, -0.4563, -1.2326])
WRIST_FACTOR = 2.2
#: canonical joint c (wrist first) comes from STB joint STB_TO_CANONICAL[c]; STB joint 0 (palm)
#: becomes the wrist by the convention above
STB_TO_CANONICAL = [0] + [1 + 4 * (4 - f) + k for f in range(5) for k in range(4)]


def depth_to_color(xyz: np.ndarray) -> np.ndarray:
    """SK depth-camera points (N, 3) to the colour camera's frame (mm): the inverse of the
    readme's colour-to-depth ``R x + T``."""
    R, _ = cv2.Rodrigues(ROTVEC)
    return (xyz - TRANSLATION) @ R  # rows: R^T (x - T)


def palm_to_wrist(joints: np.ndarray) -> np.ndarray:
    """Canonical joints with the palm centre at index 0 -> the same with the wrist there."""
    out = joints.copy()
    out[..., 0, :] = joints[..., 9, :] + WRIST_FACTOR * (joints[..., 0, :] - joints[..., 9, :])
    return out


def load_sequence(root: str, seq: str) -> np.ndarray:
    """``handPara`` of a sequence as (frames, 21, 3) in STB's joint order."""
    path = osp.join(root, 'labels', f'{seq}_SK.mat')
    if not osp.isfile(path):
        raise FileNotFoundError(f'STB label file {path} does not exist (sequence {seq})')
    mat = loadmat(path)
    if 'handPara' not in mat:
        raise KeyError(f'{path}: no variable "handPara"')
    para = np.asarray(mat['handPara'], np.float64)
    if para.ndim != 3 or para.shape[:2] != (3, 21):
        raise ValueError(f'{path}: "handPara" has shape {para.shape}, expected (3, 21, frames)')
    if not np.all(np.isfinite(para)):
        raise ValueError(f'{path}: "handPara" has a non-finite value')
    return para.transpose(2, 1, 0)


def convert_split(root: str, split: str, out_dir: str) -> str:
    """Convert one split; returns the written annotation file."""
    # every label file is read (and checked) before the images: a bad one stops at once
    sequences = [(seq, load_sequence(root, seq)) for seq in SPLITS[split]]
    images, anns = [], []
    progress = ProgressBar(sum(len(frames) for _, frames in sequences))
    for seq_index, (seq, frames) in enumerate(sequences):
        joints = palm_to_wrist(depth_to_color(frames[:, STB_TO_CANONICAL].reshape(-1, 3))
                               .reshape(-1, 21, 3))
        for i, xyz in enumerate(joints):
            file_name = osp.join('images', seq, f'SK_color_{i}.png')
            path = osp.join(root, file_name)
            img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
            if img is None:
                raise FileNotFoundError(f'STB image {path} (frame {i} of {seq}, labelled in '
                                        f'{seq}_SK.mat) is missing or unreadable')
            h, w = img.shape[:2]
            if (w, h) != (640, 480):
                raise ValueError(f'STB image {path} is {w}x{h}, expected 640x480 for the SK camera')
            uvw = xyz @ K_COLOR.T
            uv = uvw[:, :2] / uvw[:, 2:3]
            image_id = seq_index * 100000 + i
            images.append(dict(id=image_id, file_name=file_name, width=w, height=h,
                               K=K_COLOR.tolist(), sequence=seq))
            anns.append(hand_annotation(image_id, image_id, keypoint_bbox(uv, (w, h)), uv,
                                        np.full(21, 2.0), xyz, hand_side='left'))
            progress.update()
    out = osp.join(out_dir, f'stb_{split}.json')
    write_annotations(out, images, anns, info=dict(
        description=f'STB SK {split} converted by semihand_mmpose',
        sequences=SPLITS[split], root='wrist = middle MCP + 2.2 (palm - middle MCP)'))
    return out


def main(argv: Optional[List[str]] = None) -> List[str]:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='the STB folder with images/ and labels/')
    parser.add_argument('--out-dir', default='data/stb')
    parser.add_argument('--splits', nargs='+', default=list(SPLITS), choices=list(SPLITS))
    args = parser.parse_args(argv)
    written = []
    for split in args.splits:
        written.append(convert_split(args.root, split, args.out_dir))
        print(f'\nwrote {written[-1]}')
    return written


if __name__ == '__main__':
    main()
