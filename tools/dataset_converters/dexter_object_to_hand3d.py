# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Convert Dexter+Object (DO) to the 3D hand format.

Reads the six sequences as published: ``<root>/data/<seq>/color/*.png`` and
``<root>/data/<seq>/annotations/<seq>3D.txt``, one line per frame with five ``x y z`` fingertip
triples (thumb, index, middle, ring, little) separated by ``;``, in mm, depth-camera coordinates.

Conventions (stated):

- only the five fingertips (canonical joints 4, 8, 12, 16, 20) are labelled; every other joint has
  ``keypoints_3d_valid`` 0 and flag 0;
- a missing fingertip (``z == 32001``) is marked invalid (flag 0, ``keypoints_3d_valid`` 0);
- a triple's numbers may be separated by commas, spaces or both (``x, y, z;`` or ``x y z;``);
- the labels are in the depth camera's SDK frame, x to the left and y up (z forward): x and y are
  negated into the pinhole frame (x right, y down); then the depth-to-colour extrinsic
  ``[R | t]`` that the public DO loaders use (:data:`ROTATION`, close to the identity, and
  t = (19.0473, -1.8514, -4.7501) mm) moves them to the colour camera, where they project with
  fx 587.45209, fy 600.67456, cx 325, cy 249. Two public DO loaders do the same: one negates x
  and y before the extrinsic, the other mirrors the projected tips back through the image centre
  (this project has no DO file to check it on). The published files can check it: each
  sequence's ``<seq>2D.txt`` holds the same tips in the depth image's pixels (``u, v;`` pairs), and
  u and v fall as x/z and y/z rise in the SDK's frame, rise with them in the pinhole one. By
  default (``--flip-xy auto``) the converter reads the frame from that correlation where a
  sequence has the file (both axes |r| > 0.5, every such sequence agreeing), and otherwise takes the
  SDK's frame; ``--flip-xy yes|no`` sets it and warns where a 2D file disagrees. The JSON's
  ``info['axes_check']`` keeps each sequence's correlations;
- every hand is a left one (``hand_side='left'``, as public DO loaders treat it; ``--hand-side``
  changes it): the corrector mirrors left hands before it applies its angle limits;
- frames pair with label lines in natural file-name order (``image_2.png`` before
  ``image_10.png``; the same as sorted order for zero-padded names);
- frames with fewer than 2 valid tips stay in the JSON (``num_keypoints`` tells) and are left out of
  evaluation by ``Hand3DMetric(min_valid_joints=2)``;
- the box is the valid tips' box grown by 50% of its larger side (tips alone under-cover the hand);
- all frames are test data (DO is an evaluation set; for SemiHand its images are the unlabelled
  target). ``--labels-name`` reads a cleaned copy of the labels in the same format instead (for
  example ``my_{seq}3D.txt``).

Example::

    python tools/dataset_converters/dexter_object_to_hand3d.py data/dexter_object --out-dir data/do
"""
import argparse
import logging
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from semihand_mmpose.datasets.hand3d_format import (HAND_SIDES, hand_annotation, keypoint_bbox,
                                                    write_annotations)

SEQUENCES = ('Grasp1', 'Grasp2', 'Occlusion', 'Rigid', 'Pinch', 'Rotate')
TIPS = (4, 8, 12, 16, 20)
K_COLOR = np.array([[587.45209, 0.0, 325.0], [0.0, 600.67456, 249.0], [0.0, 0.0, 1.0]])
#: depth-to-colour rotation and translation (mm), applied to labels in the pinhole frame
ROTATION = np.array([[0.9999, 0.0034, 0.0161], [-0.0033, 1.0000, -0.0079],
                     [-0.0162, 0.0079, 0.9998]])
TRANSLATION = np.array([19.0473, -1.8514, -4.7501])
#: the depth SDK's frame (x left, y up) to the pinhole one (x right, y down): a half turn about z
SDK_TO_PINHOLE = np.diag([-1.0, -1.0, 1.0])
MISSING_Z = 32001.0
#: (width, height) of every colour frame
IMAGE_SIZE = (640, 480)
LABELS_NAME = '{seq}3D.txt'
#: the 2D labels of the same tips, in the depth image's pixels
LABELS_2D_NAME = '{seq}2D.txt'
FLIP_CHOICES = ('auto', 'yes', 'no')
#: the least |correlation| on both image axes that tells the labels' frame
MIN_AXIS_CORRELATION = 0.5


def _read_points(path: str, dims: int) -> np.ndarray:
    """(frames, 5, dims) from a DO label file: one line per frame, five groups of ``dims``
    numbers separated by ``;``, a group's numbers by commas, spaces or both."""
    names = 'x y z' if dims == 3 else 'u v'
    frames = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            groups = [t for t in line.strip().rstrip(';').split(';') if t.strip()]
            try:
                points = np.array([[float(v) for v in t.replace(',', ' ').split()]
                                   for t in groups])
            except ValueError:
                raise ValueError(f'{path}:{n}: expected numbers "{names}; ..." (or '
                                 f'"{names.replace(" ", ", ")}; ..."), got {line.strip()!r}')
            if points.shape != (5, dims):
                raise ValueError(f'{path}:{n}: expected five "{names}" groups separated by ";", '
                                 f'got shape {points.shape}')
            frames.append(points)
    if not frames:
        raise ValueError(f'{path}: no label line; expected one line of five "{names}" groups per '
                         'colour frame')
    return np.stack(frames)


def read_tips(path: str) -> np.ndarray:
    """Fingertips (frames, 5, 3) from a ``<seq>3D.txt``; missing tips become NaN."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'Dexter+Object label file {path} does not exist')
    tips = _read_points(path, 3)
    tips[np.isclose(tips[..., 2], MISSING_Z)] = np.nan
    return tips


def axis_correlations(tips: np.ndarray, uv: np.ndarray) -> Tuple[float, float]:
    """Pearson correlations of the 2D labels' u with x/z and v with y/z over the tips valid in
    both (NaN where fewer than 3 are): negative in the depth SDK's frame, positive in the pinhole
    one, whatever the depth camera's intrinsics."""
    valid = np.isfinite(tips).all(-1) & np.isfinite(uv).all(-1) & (tips[..., 2] > 0)
    if valid.sum() < 3:
        return float('nan'), float('nan')
    ray = tips[valid][:, :2] / tips[valid][:, 2:]
    with np.errstate(invalid='ignore', divide='ignore'):  # a constant axis: NaN
        return tuple(float(np.corrcoef(ray[:, a], uv[valid][:, a])[0, 1]) for a in range(2))


def frame_from_2d(corr: Tuple[float, float]) -> Optional[bool]:
    """``True`` (flip: the SDK's frame) or ``False`` (pinhole) where both correlations agree
    beyond :data:`MIN_AXIS_CORRELATION`, else ``None``."""
    if all(c < -MIN_AXIS_CORRELATION for c in corr):
        return True
    if all(c > MIN_AXIS_CORRELATION for c in corr):
        return False
    return None


def natural_key(name: str) -> list:
    """Sort key that orders the numbers in a file name by value (``image_2`` < ``image_10``)."""
    return [(0, int(part), '') if part.isdigit() else (1, 0, part)
            for part in re.split(r'(\d+)', name) if part]


def to_color_camera(tips: np.ndarray, flip_xy: bool = True) -> np.ndarray:
    """Labelled tips (..., 3) in the depth camera's frame to the colour camera's (mm)."""
    pinhole = tips @ SDK_TO_PINHOLE.T if flip_xy else tips
    return pinhole @ ROTATION.T + TRANSLATION


def convert(root: str, out_dir: str, sequences: Sequence[str] = SEQUENCES,
            flip_xy: Optional[bool] = None, hand_side: str = 'left',
            labels_name: str = LABELS_NAME) -> str:
    """Convert ``sequences`` into ``<out_dir>/do_test.json``; returns its path.

    ``flip_xy``: ``None`` reads the labels' frame from the sequences' 2D labels (the SDK's frame
    where they do not tell), ``True`` / ``False`` set it.
    """
    if hand_side not in HAND_SIDES:
        raise ValueError(f'hand_side must be one of {HAND_SIDES}, got {hand_side!r}')
    if '{seq}' not in labels_name:
        raise ValueError(f'labels_name must contain "{{seq}}" (the sequence), got {labels_name!r}')
    images, anns = [], []
    seq_frames, checks = [], {}
    for seq in sequences:
        seq_dir = osp.join(root, 'data', seq)
        tips = read_tips(osp.join(seq_dir, 'annotations', labels_name.format(seq=seq)))
        color_dir = osp.join(seq_dir, 'color')
        if not osp.isdir(color_dir):
            raise FileNotFoundError(f'Dexter+Object sequence folder {color_dir} does not exist')
        files = sorted((f for f in os.listdir(color_dir) if f.lower().endswith(('.png', '.jpg'))),
                       key=natural_key)
        if len(files) != len(tips):
            raise ValueError(f'{seq}: {len(files)} colour frames in {color_dir} but {len(tips)} '
                             f'label lines in {labels_name.format(seq=seq)}')
        check = _check_axes(osp.join(seq_dir, 'annotations', LABELS_2D_NAME.format(seq=seq)), tips)
        if check is not None:
            checks[seq] = check
        seq_frames.append((seq, color_dir, files, tips))
    flip_xy = _choose_frame(flip_xy, checks)
    progress = ProgressBar(sum(len(files) for _, _, files, _ in seq_frames))
    for seq_index, (seq, color_dir, files, tips) in enumerate(seq_frames):
        for i, (name, frame) in enumerate(zip(files, tips)):
            image_id = seq_index * 100000 + i
            images.append(_image_record(image_id, osp.join(color_dir, name), root, seq))
            anns.append(_tip_annotation(image_id, frame, flip_xy, hand_side))
            progress.update()
    out = osp.join(out_dir, 'do_test.json')
    write_annotations(out, images, anns, info=dict(
        description='Dexter+Object converted by semihand_mmpose', sequences=list(sequences),
        labels=labels_name, flip_xy=flip_xy, axes_check=checks))
    return out


def _check_axes(path: str, tips: np.ndarray) -> Optional[dict]:
    """What a sequence's 2D labels say of its 3D labels' frame (:func:`axis_correlations`), or
    ``None`` without a usable 2D file (it only checks: a bad one is reported, not fatal)."""
    if not osp.isfile(path):
        return None
    try:
        uv = _read_points(path, 2)
    except ValueError as err:
        print_log(f'{err}; the labels\' frame is not checked against it', logger='current',
                  level=logging.WARNING)
        return None
    if len(uv) != len(tips):
        print_log(f'{path}: {len(uv)} lines for {len(tips)} 3D label lines; the labels\' frame is '
                  'not checked against it', logger='current', level=logging.WARNING)
        return None
    corr = axis_correlations(tips, uv)
    return dict(corr_u=_finite_or_none(corr[0]), corr_v=_finite_or_none(corr[1]),
                flip_xy=frame_from_2d(corr))


def _finite_or_none(value: float) -> Optional[float]:
    return round(value, 4) if np.isfinite(value) else None


def _choose_frame(flip_xy: Optional[bool], checks: Dict[str, dict]) -> bool:
    """The labels' frame: ``flip_xy`` where given (with a warning for each 2D file that says
    otherwise), else the one the 2D files agree on, else the SDK's."""
    said = {seq: c['flip_xy'] for seq, c in checks.items() if c['flip_xy'] is not None}
    if flip_xy is not None:
        against = sorted(seq for seq, flip in said.items() if flip != flip_xy)
        if against:
            print_log(f'--flip-xy {"yes" if flip_xy else "no"}, but the 2D labels of {against} '
                      f'say otherwise (correlations {[checks[s] for s in against]})',
                      logger='current', level=logging.WARNING)
        return flip_xy
    votes = set(said.values())
    chosen, level = True, logging.WARNING  # the SDK's frame where the 2D files do not agree
    if len(votes) == 1:
        chosen, level, why = votes.pop(), logging.INFO, f'as the 2D labels of {sorted(said)} say'
    elif votes:
        why = f'the 2D labels disagree: {said}'
    elif checks:
        why = f'the 2D labels tell nothing: {checks}'
    else:
        level, why = logging.INFO, 'no 2D label file'
    print_log(f'Dexter+Object labels read in the {"depth SDK" if chosen else "pinhole"} frame '
              f'({why})', logger='current', level=level)
    return chosen


def _image_record(image_id: int, path: str, root: str, seq: str) -> dict:
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise FileNotFoundError(f'Dexter+Object image {path} is unreadable')
    h, w = img.shape[:2]
    if (w, h) != IMAGE_SIZE:
        raise ValueError(f'Dexter+Object image {path} is {w}x{h}, expected '
                         f'{IMAGE_SIZE[0]}x{IMAGE_SIZE[1]}')
    return dict(id=image_id, file_name=osp.relpath(path, root), width=w, height=h,
                K=K_COLOR.tolist(), sequence=seq)


def _tip_annotation(image_id: int, frame: np.ndarray, flip_xy: bool, hand_side: str) -> dict:
    """One frame's record: its valid tips in the colour camera and their projections."""
    w, h = IMAGE_SIZE
    valid = np.isfinite(frame[:, 2])
    xyz = np.zeros((21, 3))
    xyz_valid = np.zeros(21)
    kpts = np.zeros((21, 3))
    cam = to_color_camera(frame, flip_xy)
    for t, joint in enumerate(TIPS):
        if valid[t]:
            xyz[joint] = cam[t]
            xyz_valid[joint] = 1.0
            uvw = K_COLOR @ cam[t]
            kpts[joint] = [uvw[0] / uvw[2], uvw[1] / uvw[2], 2.0]
    if valid.sum() >= 1:
        bbox = keypoint_bbox(kpts[kpts[:, 2] > 0, :2], (w, h), margin=0.5)
    else:  # no tip: the whole image, so the unlabelled target keeps the frame
        bbox = [0.0, 0.0, float(w - 1), float(h - 1)]
    bbox = [bbox[0], bbox[1], max(bbox[2], 1.0), max(bbox[3], 1.0)]
    return hand_annotation(image_id, image_id, bbox, kpts[:, :2], kpts[:, 2], xyz,
                           keypoints_3d_valid=xyz_valid.tolist(), hand_side=hand_side)


def main(argv: Optional[List[str]] = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='the Dexter+Object folder with data/<seq>/')
    parser.add_argument('--out-dir', default='data/do')
    parser.add_argument('--sequences', nargs='+', default=list(SEQUENCES))
    parser.add_argument('--flip-xy', default='auto', choices=FLIP_CHOICES,
                        help='negate the labels\' x and y (the depth SDK\'s frame, x left and y '
                        'up, to the pinhole one) before the extrinsic; auto: as the <seq>2D.txt '
                        'files say, yes where they do not tell (default: %(default)s)')
    parser.add_argument('--hand-side', default='left', choices=HAND_SIDES)
    parser.add_argument('--labels-name', default=LABELS_NAME,
                        help='label file in <seq>/annotations/, {seq} for the sequence '
                        '(default: %(default)s; a cleaned copy: my_{seq}3D.txt)')
    args = parser.parse_args(argv)
    flip_xy = dict(auto=None, yes=True, no=False)[args.flip_xy]
    out = convert(args.root, args.out_dir, args.sequences, flip_xy, args.hand_side,
                  args.labels_name)
    print(f'\nwrote {out}')
    return out


if __name__ == '__main__':
    main()
