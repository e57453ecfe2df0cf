# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Make an unlabelled split of the 3D hand format from a folder of your own images.

SemiHand adapts a model to a domain of which it sees only unlabelled images: this turns images of
yours into that set (``configs/semihand_own_images.py`` trains on it).

Conventions (stated, and what ``Hand3DDataset(labelled=False)`` gets):

- every ``.jpg``, ``.jpeg``, ``.png`` and ``.bmp`` under ``IMG_DIR`` (searched recursively, in
  sorted order, hidden files left out), its ``file_name`` relative to ``IMG_DIR`` (the config's
  image prefix);
- one hand per box. ``--boxes`` is a JSON object from an image's ``file_name`` to a list of its
  hands, each ``[x, y, w, h]`` in pixels or ``{"bbox": [x, y, w, h], "hand_side": "left"}`` (a
  hand detector's output, or boxes drawn by hand); a box reaching past the image is clipped to it,
  and images with no box are left out (and counted). Without ``--boxes`` every image is one hand
  filling it, as in crops around a hand;
- ``hand_side`` is ``--hand-side`` (default right) unless a box says otherwise; SemiHand corrects
  a left hand as the mirror image of a right one;
- intrinsics ``K`` per image: a focal length of ``--focal`` pixels, or the one that gives the
  image's width a horizontal field of view of ``--fov`` degrees (default 60: an assumption; give
  the camera's own focal length where it is known), the principal point at the image's centre.
  SemiHand lifts each pseudo-label to 3D with them before correcting it.

Example::

    python tools/dataset_converters/images_to_hand3d.py data/own/images --out-dir data/own \\
        --boxes data/own/boxes.json --focal 600

writes ``data/own/unlabelled.json``.
"""
import argparse
import json
import math
import os.path as osp
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
from mmengine.utils import ProgressBar, scandir

from semihand_mmpose.datasets.hand3d_format import (HAND_SIDES, unlabelled_annotation,
                                                    write_annotations)

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')


def list_images(img_dir: str) -> List[str]:
    """The image files under ``img_dir``, relative to it, sorted (MMEngine's ``scandir``, which
    leaves out hidden files such as the ``._name.jpg`` that macOS writes beside copied photos)."""
    if not osp.isdir(img_dir):
        raise FileNotFoundError(f'image folder {img_dir} does not exist')
    found = sorted(scandir(img_dir, IMAGE_EXTENSIONS, recursive=True, case_sensitive=False))
    if not found:
        raise FileNotFoundError(f'image folder {img_dir} holds no {"/".join(IMAGE_EXTENSIONS)} '
                                'file')
    return found


def read_boxes(path: str, images: List[str], hand_side: str) -> Dict[str, List[Tuple[list, str]]]:
    """``--boxes``: image ``file_name`` -> its hands as ``([x, y, w, h], hand_side)``."""
    try:
        with open(path) as f:
            table = json.load(f)
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f'boxes file {path}: cannot read it as JSON ({err})') from None
    if not isinstance(table, dict):
        raise ValueError(f'boxes file {path}: expected an object from image file names to lists '
                         f'of boxes, got a {type(table).__name__}')
    unknown = sorted(set(table) - set(images))
    if unknown:
        raise ValueError(f'boxes file {path}: {len(unknown)} key(s) name no image of the folder, '
                         f'e.g. {unknown[:3]} (keys are file names relative to the folder)')
    hands = {}
    for name, boxes in table.items():
        where = f'boxes file {path}: "{name}"'
        if not isinstance(boxes, list):
            raise ValueError(f'{where}: expected a list of boxes, got {boxes!r}')
        hands[name] = [_read_box(box, f'{where}[{i}]', hand_side) for i, box in enumerate(boxes)]
    return hands


def _read_box(box, where: str, hand_side: str) -> Tuple[list, str]:
    if isinstance(box, dict):
        hand_side = box.get('hand_side', hand_side)
        if hand_side not in HAND_SIDES:
            raise ValueError(f'{where}: field "hand_side" is {hand_side!r}, expected one of '
                             f'{HAND_SIDES}')
        if 'bbox' not in box:
            raise ValueError(f'{where}: no field "bbox"')
        box = box['bbox']
    try:
        xywh = [float(v) for v in box]
    except (TypeError, ValueError):
        xywh = []
    if len(xywh) != 4 or not all(math.isfinite(v) for v in xywh):
        raise ValueError(f'{where}: expected a box [x, y, w, h] of 4 finite numbers, got {box!r}')
    return xywh, hand_side


def clip_box(xywh: List[float], width: int, height: int, where: str) -> List[float]:
    """The part of a box ``[x, y, w, h]`` inside a ``width`` x ``height`` image."""
    x0, y0 = max(xywh[0], 0.0), max(xywh[1], 0.0)
    x1, y1 = min(xywh[0] + xywh[2], float(width)), min(xywh[1] + xywh[3], float(height))
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f'{where}: box {xywh} has no area inside the {width}x{height} image')
    return [x0, y0, x1 - x0, y1 - y0]


def intrinsics(width: int, height: int, focal: Optional[float], fov: float) -> np.ndarray:
    """``K`` of a ``width`` x ``height`` image: focal length ``focal`` pixels, or the one whose
    horizontal field of view is ``fov`` degrees; principal point at the centre (pixel centres at
    integers)."""
    f = focal if focal is not None else 0.5 * width / math.tan(math.radians(fov) / 2.0)
    return np.array([[f, 0.0, (width - 1) / 2.0], [0.0, f, (height - 1) / 2.0], [0.0, 0.0, 1.0]])


def convert(img_dir: str, out_dir: str, boxes: Optional[str] = None,
            focal: Optional[float] = None, fov: float = 60.0, hand_side: str = 'right') -> dict:
    """Write ``<out_dir>/unlabelled.json``; returns ``dict(out, images, hands, left_out)``,
    ``left_out`` being the images without a box."""
    if hand_side not in HAND_SIDES:
        raise ValueError(f'hand_side must be one of {HAND_SIDES}, got {hand_side!r}')
    if focal is not None and not focal > 0:
        raise ValueError(f'focal length must be > 0 pixels, got {focal}')
    if focal is None and not 0 < fov < 180:
        raise ValueError(f'field of view must be between 0 and 180 degrees, got {fov}')
    names = list_images(img_dir)
    # without boxes, each image is one hand filling it (its size is known once it is read)
    hands = read_boxes(boxes, names, hand_side) if boxes is not None else {}
    kept = [name for name in names if hands.get(name)] if boxes is not None else names
    if not kept:
        raise ValueError(f'no hand to write: {boxes} gives no box for any image of {img_dir}')
    images, anns = [], []
    progress = ProgressBar(len(kept))
    for image_id, name in enumerate(kept):
        # decoded as MMPose's LoadImage decodes it (colour, turned by its EXIF orientation, as
        # a phone's photo is shown), so the size, boxes and K are those of the image it trains on
        img = cv2.imread(osp.join(img_dir, name), cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(f'image {osp.join(img_dir, name)} cannot be read as an image')
        h, w = img.shape[:2]
        images.append(dict(id=image_id, file_name=name, width=w, height=h,
                           K=intrinsics(w, h, focal, fov).tolist()))
        for xywh, side in hands.get(name, [([0.0, 0.0, float(w), float(h)], hand_side)]):
            box = clip_box(xywh, w, h, f'{boxes}: "{name}"')
            anns.append(unlabelled_annotation(len(anns), image_id, box, hand_side=side))
        progress.update()
    out = osp.join(out_dir, 'unlabelled.json')
    write_annotations(out, images, anns, info=dict(
        description=f'unlabelled images of {img_dir} converted by semihand_mmpose',
        focal=focal, fov=None if focal is not None else fov))
    return dict(out=out, images=len(images), hands=len(anns), left_out=len(names) - len(kept))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('img_dir', help='folder of images (searched recursively)')
    parser.add_argument('--out-dir', required=True, help='where to write unlabelled.json')
    parser.add_argument('--boxes', help='JSON: image file name -> list of [x, y, w, h] (or '
                        '{"bbox": [...], "hand_side": ...}); default: each image is one hand')
    camera = parser.add_mutually_exclusive_group()
    camera.add_argument('--focal', type=float,
                        help='focal length in pixels of these images: a calibration made at '
                        'another resolution scales with the width (one far too short lifts the '
                        'hands to the camera, and each pseudo-label round warns)')
    camera.add_argument('--fov', type=float, default=60.0,
                        help='horizontal field of view in degrees, where --focal is not known')
    parser.add_argument('--hand-side', default='right', choices=HAND_SIDES)
    args = parser.parse_args(argv)
    result = convert(args.img_dir, args.out_dir, args.boxes, args.focal, args.fov, args.hand_side)
    print(f'\nwrote {result["out"]}: {result["hands"]} hands in {result["images"]} images'
          + (f' ({result["left_out"]} images without a box left out)' if result['left_out']
             else ''))
    return result


if __name__ == '__main__':
    main()
