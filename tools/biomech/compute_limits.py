# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Compute the biomechanical corrector's limits from a labelled 3D hand annotation file.

Bone-length ratios (each bone over the reference bone, wrist -> middle MCP) and the flexion and
abduction of every finger joint are read off every labelled hand; their percentiles become the
table that ``BiomechanicalCorrector(limits_file=...)`` loads. Angles can be kept at the anatomical
defaults (``--angles default``) when the labelled set's poses are narrower than the target's.

Example::

    python tools/biomech/compute_limits.py data/rhd/annotations/rhd_train.json \
        work_dirs/limits/rhd.npz --percentiles 1 99
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np

from semihand_mmpose.biomech import limits as default_limits
from semihand_mmpose.datasets.hand3d_format import HAND_SIDES


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Biomechanical limits from labelled 3D hands')
    parser.add_argument('ann_file', nargs='+',
                        help='annotation file(s) in the project\'s 3D hand format (COCO style, '
                        'with "keypoints_3d" per annotation)')
    parser.add_argument('out', help='output table (.npz)')
    parser.add_argument('--percentiles', type=float, nargs=2, default=(1.0, 99.0),
                        metavar=('LO', 'HI'), help='percentiles that bound each quantity')
    parser.add_argument('--margin', type=float, default=0.0,
                        help='fraction of each range added at both ends')
    parser.add_argument('--angles', choices=('data', 'default'), default='data',
                        help='joint-angle ranges from the data or the anatomical defaults')
    return parser.parse_args(argv)


def read_poses(path: str):
    """3D joints (N, 21, 3) and left-hand flags (N,) of every annotation of ``path`` with
    ``keypoints_3d``; errors name the file and the field."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'annotation file {path!r} does not exist')
    with open(path) as f:
        try:
            coco = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f'{path}: not valid JSON ({e})') from e
    if not isinstance(coco, dict) or not isinstance(coco.get('annotations'), list):
        raise ValueError(f'{path}: expected a top-level list "annotations"')
    joints, left = [], []
    for i, ann in enumerate(coco['annotations']):
        if 'keypoints_3d' not in ann:
            continue
        try:
            pose = np.asarray(ann['keypoints_3d'], np.float64)
        except (TypeError, ValueError) as e:
            raise ValueError(f'{path}: annotations[{i}] field "keypoints_3d" is not numeric '
                             f'({e})') from e
        if pose.shape != (21, 3) or not np.isfinite(pose).all():
            raise ValueError(f'{path}: annotations[{i}] field "keypoints_3d" must be 21 finite '
                             f'(x, y, z) rows, got shape {pose.shape}')
        valid = ann.get('keypoints_3d_valid')
        if valid is not None and not np.all(np.asarray(valid) > 0):
            continue  # a partly labelled hand has no defined bones everywhere
        side = ann.get('hand_side', 'right')
        if side not in HAND_SIDES:
            raise ValueError(f'{path}: annotations[{i}] field "hand_side" must be one of '
                             f'{HAND_SIDES}, got {side!r}')
        joints.append(pose)
        left.append(side == 'left')
    if not joints:
        raise ValueError(f'{path}: no annotation has a complete "keypoints_3d"')
    return np.stack(joints), np.asarray(left)


def main(argv=None) -> dict:
    args = parse_args(argv)
    poses = [read_poses(p) for p in args.ann_file]
    joints = np.concatenate([p[0] for p in poses])
    is_left = np.concatenate([p[1] for p in poses])
    table = default_limits.limits_from_poses(joints, is_left, tuple(args.percentiles),
                                             args.margin)
    if args.angles == 'default':
        table['angle_deg'] = default_limits.ANGLE_LIMITS_DEG.copy()
    default_limits.save_limits(args.out, table['bone_ratio'], table['angle_deg'],
                               num_hands=np.array(len(joints)),
                               percentiles=np.asarray(args.percentiles),
                               sources=np.array(args.ann_file))
    ratio = table['bone_ratio']
    print(f'{len(joints)} hands from {len(args.ann_file)} file(s) -> {args.out}')
    print(f'bone/reference ratio: width of range {np.median(ratio[:, 1] - ratio[:, 0]):.3f} '
          f'(median over bones; defaults '
          f'{np.median(np.diff(default_limits.BONE_RATIO_LIMITS, axis=1)):.3f})')
    return table


if __name__ == '__main__':
    main(sys.argv[1:])
