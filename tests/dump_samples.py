# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Prediction dumps written by hand, in the format of ``tools/test.py --dump``: what the tests of
the analysis tools that read them share."""
import pickle
from typing import List, Optional

import numpy as np


def dump_sample(i: int, gt3d: np.ndarray, gt2d: np.ndarray, pred3d: np.ndarray,
                pred2d: np.ndarray, img_path: str, name: str = 'synthetic_target',
                flag: Optional[np.ndarray] = None, labelled: Optional[np.ndarray] = None) -> dict:
    """One right hand's sample as ``tools/test.py --dump`` writes it.

    Args:
        i (int): The sample's ``id``.
        gt3d, pred3d (np.ndarray): Joints (21, 3), mm, camera frame.
        gt2d, pred2d (np.ndarray): Keypoints (21, 2), px.
        img_path (str): The image's path.
        name (str): The ``dataset_name``.
        flag (np.ndarray, optional): The COCO visibility flags (21,) (2 visible, 1 hidden); left
            out if None.
        labelled (np.ndarray, optional): The joints with a 2D and a 3D label (21,); all if None.
    """
    labelled = np.ones(21) if labelled is None else np.asarray(labelled, float)
    gt = dict(keypoints_3d=gt3d[None], keypoints=gt2d[None], keypoints_visible=labelled[None],
              keypoints_3d_visible=labelled[None])
    if flag is not None:
        gt['keypoints_flag'] = flag[None]
    return dict(id=i, dataset_name=name, img_path=img_path, hand_side='right', gt_instances=gt,
                pred_instances=dict(keypoints_3d=pred3d[None], keypoints=pred2d[None]))


def write_dump(path, samples: List[dict]) -> str:
    """Pickle ``samples`` to ``path``, as ``tools/test.py --dump`` does; returns the path."""
    with open(path, 'wb') as f:
        pickle.dump(samples, f)
    return str(path)
