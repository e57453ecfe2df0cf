# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Convert Dexter+Object (DO) to the 3D hand format.

Reads the six sequences as published: ``<root>/data/<seq>/color/*.png`` (frames in sorted file-name
order) and ``<root>/data/<seq>/annotations/<seq>3D.txt``, one line per frame with five ``x y z``
fingertip triples (thumb, index, middle, ring, little) separated by ``;``, in mm, depth-camera
coordinates.

Conventions (stated):

- only the five fingertips (canonical joints 4, 8, 12, 16, 20) are labelled; every other joint has
  ``keypoints_3d_valid`` 0 and flag 0;
- a missing fingertip (``z == 32001``) is marked invalid (flag 0, ``keypoints_3d_valid`` 0);
- labels move to the colour camera with the translation (19.0473, -1.8514, -4.7501) mm (R = I, as
  in common use) and project with fx 587.45209, fy 600.67456, cx 325, cy 249;
- frames with fewer than 2 valid tips stay in the JSON (``num_keypoints`` tells) and are left out of
  evaluation by ``Hand3DMetric(min_valid_joints=2)``;
- the box is the valid tips' box grown by 50% of its larger side (tips alone under-cover the hand);
- all frames are test data (DO is an evaluation set; for SemiHand its images are the unlabelled
  target).

Example::

    python tools/dataset_converters/dexter_object_to_hand3d.py data/dexter_object --out-dir data/do
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np

from semihand_mmpose.datasets.hand3d_format import (hand_annotation, keypoint_bbox,
                                                    write_annotations)

SEQUENCES = ('Grasp1', 'Grasp2', 'Occlusion', 'Rigid', 'Pinch', 'Rotate')
TIPS = (4, 8, 12, 16, 20)
K_COLOR = np.array([[587.45209, 0.0, 325.0], [0.0, 600.67456, 249.0], [0.0, 0.0, 1.0]])
TRANSLATION = np.array([19.0473, -1.8514, -4.7501])
MISSING_Z = 32001.0


def read_tips(path: str) -> np.ndarray:
    """Fingertips (frames, 5, 3) from a ``<seq>3D.txt``; missing tips become NaN."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'Dexter+Object label file {path} does not exist')
    frames = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            triples = [t for t in line.strip().rstrip(';').split(';') if t.strip()]
            try:
                tips = np.array([[float(v) for v in t.split()] for t in triples])
            except ValueError:
                raise ValueError(f'{path}:{n}: expected numbers "x y z; ..." got {line.strip()!r}')
            if tips.shape != (5, 3):
                raise ValueError(f'{path}:{n}: expected five "x y z" triples separated by ";", '
                                 f'got shape {tips.shape}')
            tips[np.isclose(tips[:, 2], MISSING_Z)] = np.nan
            frames.append(tips)
    return np.stack(frames)


def convert(root: str, out_dir: str, sequences=SEQUENCES) -> str:
    images, anns = [], []
    for seq_index, seq in enumerate(sequences):
        seq_dir = osp.join(root, 'data', seq)
        tips = read_tips(osp.join(seq_dir, 'annotations', f'{seq}3D.txt'))
        color_dir = osp.join(seq_dir, 'color')
        if not osp.isdir(color_dir):
            raise FileNotFoundError(f'Dexter+Object sequence folder {color_dir} does not exist')
        files = sorted(f for f in os.listdir(color_dir) if f.lower().endswith(('.png', '.jpg')))
        if len(files) != len(tips):
            raise ValueError(f'{seq}: {len(files)} colour frames in {color_dir} but {len(tips)} '
                             f'label lines in {seq}3D.txt')
        for i, (name, frame) in enumerate(zip(files, tips)):
            path = osp.join(color_dir, name)
            img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
            if img is None:
                raise FileNotFoundError(f'Dexter+Object image {path} is unreadable')
            h, w = img.shape[:2]
            if (w, h) != (640, 480):
                raise ValueError(f'Dexter+Object image {path} is {w}x{h}, expected 640x480')
            valid = np.isfinite(frame[:, 2])
            xyz = np.zeros((21, 3))
            xyz_valid = np.zeros(21)
            kpts = np.zeros((21, 3))
            cam = frame + TRANSLATION
            for t, joint in enumerate(TIPS):
                if valid[t]:
                    xyz[joint] = cam[t]
                    xyz_valid[joint] = 1.0
                    uvw = K_COLOR @ cam[t]
                    kpts[joint] = [uvw[0] / uvw[2], uvw[1] / uvw[2], 2.0]
            image_id = seq_index * 100000 + i
            images.append(dict(id=image_id, file_name=osp.relpath(path, root), width=w, height=h,
                               K=K_COLOR.tolist(), sequence=seq))
            if valid.sum() >= 1:
                bbox = keypoint_bbox(kpts[kpts[:, 2] > 0, :2], (w, h), margin=0.5)
            else:  # no tip: the whole image, so the unlabelled target keeps the frame
                bbox = [0.0, 0.0, float(w - 1), float(h - 1)]
            bbox = [bbox[0], bbox[1], max(bbox[2], 1.0), max(bbox[3], 1.0)]
            anns.append(hand_annotation(image_id, image_id, bbox, kpts[:, :2], kpts[:, 2], xyz,
                                        keypoints_3d_valid=xyz_valid.tolist()))
    out = osp.join(out_dir, 'do_test.json')
    write_annotations(out, images, anns, info=dict(
        description='Dexter+Object converted by semihand_mmpose', sequences=list(sequences)))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='the Dexter+Object folder with data/<seq>/')
    parser.add_argument('--out-dir', default='data/do')
    parser.add_argument('--sequences', nargs='+', default=list(SEQUENCES))
    args = parser.parse_args()
    print(f'wrote {convert(args.root, args.out_dir, args.sequences)}')


if __name__ == '__main__':
    main()
