# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Reading the prediction dumps of ``tools/test.py --dump`` back, hand by hand, with each hand's
errors under ``Hand3DMetric``'s protocol: what the analysis tools (errors by pose, predictions
drawn on images) share."""
import pickle
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from .metrics.hand3d_metric import joint_errors


def _array(value) -> np.ndarray:
    return np.asarray(value.cpu() if torch.is_tensor(value) else value, np.float64)


def load_dump(path: str, group: Optional[str] = None,
              complete: bool = True) -> Dict[tuple, dict]:
    """The hands of a ``tools/test.py --dump`` file, keyed by ``(dataset_name, id)``.

    Args:
        path (str): The pickle file (a list of data samples as dicts).
        group (str, optional): Keep only this ``dataset_name``; needed when the dump holds several.
        complete (bool): Refuse hands with joints that have no 3D label (Dexter+Object labels the
            fingertips only). Readers of the pose off the whole hand (the view, the curl) need
            every joint; errors over the labelled joints do not. Defaults to True.

    Returns:
        dict: Per hand ``gt3d`` (21, 3) mm in the camera frame, ``pred3d``, ``gt2d`` and ``pred2d``
        (21, 2) px, ``valid3d``, ``valid2d`` (the labelled joints) and ``visible`` (21,) bool,
        ``is_left`` and ``img_path``.
    """
    with open(path, 'rb') as f:
        samples = pickle.load(f)
    if not isinstance(samples, list) or not samples:
        raise ValueError(f'{path}: expected the non-empty list of samples that tools/test.py '
                         f'--dump writes, got {type(samples).__name__}')
    names = sorted({s.get('dataset_name', '') for s in samples})
    if group is None and len(names) > 1:
        raise ValueError(f'{path} holds the test sets {names}: choose one with --group')
    if group is not None and group not in names:
        raise ValueError(f'{path} has no test set {group!r}; it holds {names}')
    hands = {}
    for n, s in enumerate(samples):
        if group is not None and s.get('dataset_name', '') != group:
            continue
        gt, pred = s.get('gt_instances', {}), s.get('pred_instances', {})
        missing = [f'gt_instances.{k}' for k in ('keypoints_3d', 'keypoints') if k not in gt]
        missing += [f'pred_instances.{k}' for k in ('keypoints_3d', 'keypoints') if k not in pred]
        if missing:
            raise KeyError(f'{path}: sample {n} ({s.get("img_path")}) lacks {missing}; dump a '
                           'Hand3DDataset test with a 3D head')
        gt3d = _array(gt['keypoints_3d'])[0]
        ones = np.ones(len(gt3d))
        # as Hand3DMetric: the labelled joints count, keypoints_flag 2 is visible
        visible = (_array(gt['keypoints_flag'])[0] >= 2 if 'keypoints_flag' in gt
                   else _array(gt.get('keypoints_visible', [ones]))[0] > 0)
        valid3d = _array(gt.get('keypoints_3d_visible', [ones]))[0] > 0
        if complete and not valid3d.all():
            raise ValueError(f'{path}: sample {n} ({s.get("img_path")}) has '
                             f'{int((~valid3d).sum())} joints without a 3D label '
                             '(gt_instances.keypoints_3d_visible); this analysis reads the pose '
                             'off the whole hand, so test sets labelled in part (Dexter+Object) '
                             'cannot be read')
        hands[(s.get('dataset_name', ''), s.get('id', n))] = dict(
            gt3d=gt3d, pred3d=_array(pred['keypoints_3d'])[0],
            gt2d=_array(gt['keypoints'])[0][:, :2], pred2d=_array(pred['keypoints'])[0][:, :2],
            valid3d=valid3d,
            valid2d=_array(gt.get('keypoints_visible', [ones]))[0] > 0,
            visible=visible, is_left=s.get('hand_side', 'right') == 'left',
            img_path=s.get('img_path'))
    return hands


def hand_errors(hand: dict, alignment: str = 'root', scale: str = 'gt_bone') -> tuple:
    """Mean 3D error (mm) and 2D error (px) over the hand's labelled joints.

    Args:
        hand (dict): One hand of :func:`load_dump`.
        alignment (str): ``Hand3DMetric``'s ``alignment``. Defaults to ``'root'``.
        scale (str): ``Hand3DMetric``'s ``scale``. Defaults to ``'gt_bone'`` (the RHD/STB
            protocol; Dexter+Object's is ``'none'`` for both).

    Returns:
        tuple: The 3D and the 2D error, each NaN where the hand has no such label.
    """
    valid3d, valid2d = hand['valid3d'], hand['valid2d']
    err3d = joint_errors(hand['pred3d'], hand['gt3d'], valid3d, alignment, scale)
    err2d = np.linalg.norm(hand['pred2d'] - hand['gt2d'], axis=-1)
    return (float(err3d[valid3d].mean()) if valid3d.any() else float('nan'),
            float(err2d[valid2d].mean()) if valid2d.any() else float('nan'))


def model_errors(dumps: Sequence[Dict[tuple, dict]], names: Sequence[str],
                 alignment: str = 'root', scale: str = 'gt_bone',
                 min_valid_joints: int = 1) -> Tuple[List[tuple], np.ndarray]:
    """Every model's errors on the same hands.

    Args:
        dumps (Sequence[dict]): One :func:`load_dump` result per model.
        names (Sequence[str]): The models' names, for the error message.
        alignment (str): The protocol's alignment, see :func:`hand_errors`.
        scale (str): The protocol's scale, see :func:`hand_errors`.
        min_valid_joints (int): Hands with fewer 3D-labelled joints, or without a 2D-labelled
            one, are left out, as ``Hand3DMetric`` leaves them out. Defaults to 1.

    Returns:
        tuple: The keys of the hands kept (sorted) and the errors (M, N, 2): 3D mm and 2D px,
        per :func:`hand_errors`.
    """
    keys = sorted(dumps[0], key=str)
    for name, dump in zip(names[1:], dumps[1:]):
        if set(dump) != set(keys):
            raise ValueError(f'{name} was tested on other hands than {names[0]} '
                             f'({len(dump)} against {len(keys)}); dump the same test set')
    keys = [k for k in keys if dumps[0][k]['valid3d'].sum() >= min_valid_joints
            and dumps[0][k]['valid2d'].any()]
    return keys, np.array([[hand_errors(dump[k], alignment, scale) for k in keys]
                           for dump in dumps]).reshape(len(dumps), len(keys), 2)
