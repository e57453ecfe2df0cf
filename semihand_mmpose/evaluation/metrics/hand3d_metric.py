# Copyright (c) semihand_mmpose authors. All rights reserved.
"""3D (and 2D) hand pose accuracy under the protocols papers report."""
import json
from collections import OrderedDict, defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpose.registry import METRICS

from semihand_mmpose.biomech.skeleton import REF_BONE, ROOT_INDEX
from semihand_mmpose.fileio import AtomicLocalBackend


def align(pred: np.ndarray, gt: np.ndarray, valid: np.ndarray, alignment: str,
          scale: str) -> np.ndarray:
    """Bring a predicted hand into the ground truth's frame as a protocol says.

    Args:
        pred (np.ndarray): Predicted joints (K, 3), mm.
        gt (np.ndarray): Ground-truth joints (K, 3), mm.
        valid (np.ndarray): Bool (K,), the joints that count.
        alignment (str): ``'root'``: both root-relative; ``'centroid_scale'``: both relative to the
            centroid of the valid joints and the prediction scaled to the ground truth's spread
            (Zhou et al. 2020 on Dexter+Object); ``'none'``: absolute camera coordinates.
        scale (str): ``'gt_bone'``: the prediction is scaled so its reference bone has the ground
            truth's length (the RHD/STB protocol); ``'none'``: as predicted.

    Returns:
        np.ndarray: The aligned prediction (K, 3); with ``'root'`` and ``'centroid_scale'`` the
        ground truth must be moved the same way (see :func:`align_gt`).
    """
    pred = pred.astype(np.float64)
    if scale == 'gt_bone':
        p_len = np.linalg.norm(pred[REF_BONE[1]] - pred[REF_BONE[0]])
        g_len = np.linalg.norm(gt[REF_BONE[1]] - gt[REF_BONE[0]])
        pred = (pred - pred[ROOT_INDEX]) * (g_len / max(p_len, 1e-9)) + pred[ROOT_INDEX]
    if alignment == 'root':
        return pred - pred[ROOT_INDEX]
    if alignment == 'centroid_scale':
        p = pred - pred[valid].mean(0)
        g = gt[valid] - gt[valid].mean(0)
        spread = np.sqrt((p[valid] ** 2).sum() / max((g ** 2).sum(), 1e-12))
        return p / max(spread, 1e-12)
    return pred


def align_gt(gt: np.ndarray, valid: np.ndarray, alignment: str) -> np.ndarray:
    """The ground truth in the frame :func:`align` puts the prediction in."""
    gt = gt.astype(np.float64)
    if alignment == 'root':
        return gt - gt[ROOT_INDEX]
    if alignment == 'centroid_scale':
        return gt - gt[valid].mean(0)
    return gt


def joint_errors(pred: np.ndarray, gt: np.ndarray, valid: np.ndarray, alignment: str,
                 scale: str) -> np.ndarray:
    """Each joint's 3D error (mm) of one hand under a protocol (see :func:`align`), shape (K,).

    The errors of joints outside ``valid`` are computed too; the caller leaves them out.
    """
    pred = align(pred, gt, valid, alignment, scale)
    return np.linalg.norm(pred - align_gt(gt, valid, alignment), axis=-1)


def pck_auc(errors_per_joint: List[np.ndarray], lo: float, hi: float,
            steps: int) -> Tuple[np.ndarray, np.ndarray, float, float, float]:
    """PCK curve, AUC and end-point errors, averaged over keypoints.

    As Zimmermann & Brox's evaluation code (which the published RHD/STB numbers use): per keypoint,
    the PCK curve over ``linspace(lo, hi, steps)``, its area by the trapezoid rule divided by
    ``hi - lo``, and the mean and median error; then the mean over the keypoints that have data.

    Returns:
        tuple: ``thresholds`` (steps,), ``pck`` (steps,), ``auc``, ``epe_mean``, ``epe_median``.
    """
    thresholds = np.linspace(lo, hi, steps)
    curves, aucs, means, medians = [], [], [], []
    for errors in errors_per_joint:
        if len(errors) == 0:
            continue
        curve = (errors[None, :] <= thresholds[:, None]).mean(1)
        curves.append(curve)
        # the trapezoid rule written out: numpy 2 renamed np.trapz (np.trapezoid), numpy 1 lacks
        # the new name, and this plugin runs on both
        area = float(np.sum((curve[1:] + curve[:-1]) / 2 * np.diff(thresholds)))
        aucs.append(area / (hi - lo) if hi > lo else curve[0])
        means.append(errors.mean())
        medians.append(np.median(errors))
    if not curves:
        raise ValueError('no valid joint to evaluate')
    return (thresholds, np.mean(curves, 0), float(np.mean(aucs)), float(np.mean(means)),
            float(np.mean(medians)))


@METRICS.register_module()
class Hand3DMetric(BaseMetric):
    """3D PCK / AUC / end-point error and 2D end-point error / PCK for hands.

    Samples from several test sets in one loader (e.g. a ``ConcatDataset`` of source and target
    test) are told apart by their ``dataset_name`` and reported as ``<dataset_name>/<metric>``.

    Reported keys: ``AUC`` (3D PCK area over ``auc_range`` mm, in [0, 1]), ``EPE`` and
    ``EPE_median`` (mm), ``PCK@<t>`` for ``pck_thresholds``, ``EPE2D`` (px), ``PCK2D@<t>`` for
    ``pck2d_thresholds`` and ``AUC2D`` over ``auc2d_range`` px.

    Args:
        auc_range (tuple): ``(lo, hi)`` mm of the 3D PCK curve. Defaults to ``(20, 50)``.
        num_thresholds (int): Points on the curve. Defaults to 20 (as Zimmermann & Brox's code).
        scale (str): ``'gt_bone'`` (prediction scaled by the ground-truth reference bone) or
            ``'none'``. Defaults to ``'gt_bone'``.
        alignment (str): ``'root'``, ``'centroid_scale'`` or ``'none'`` (see :func:`align`).
            Defaults to ``'root'``.
        joint_subset (Sequence[int], optional): Evaluate only these joints, e.g. the fingertips
            ``(4, 8, 12, 16, 20)`` for Dexter+Object. Defaults to all.
        min_valid_joints (int): Samples with fewer valid joints in the subset are left out
            (Dexter+Object: 2). Defaults to 1.
        visible_only (bool): Count only joints whose 2D flag is 2 (visible), as on RHD.
            Defaults to ``False``.
        pck_thresholds (Sequence[float]): Extra 3D PCK points (mm). Defaults to
            ``(20, 30, 40, 50)``.
        pck2d_thresholds (Sequence[float]): 2D PCK points (px). Defaults to ``(5, 10, 20)``.
        auc2d_range (tuple): ``(lo, hi)`` px of the 2D PCK curve. Defaults to ``(0, 30)``.
        outfile_prefix (str, optional): If set, the PCK curves are written to
            ``<outfile_prefix>.pck.json`` for plotting (``tools/analysis/plot_pck.py``).
    """

    default_prefix: Optional[str] = 'hand3d'

    def __init__(self,
                 auc_range: Tuple[float, float] = (20.0, 50.0),
                 num_thresholds: int = 20,
                 scale: str = 'gt_bone',
                 alignment: str = 'root',
                 joint_subset: Optional[Sequence[int]] = None,
                 min_valid_joints: int = 1,
                 visible_only: bool = False,
                 pck_thresholds: Sequence[float] = (20.0, 30.0, 40.0, 50.0),
                 pck2d_thresholds: Sequence[float] = (5.0, 10.0, 20.0),
                 auc2d_range: Tuple[float, float] = (0.0, 30.0),
                 outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if scale not in ('gt_bone', 'none'):
            raise ValueError(f'scale must be "gt_bone" or "none", got {scale!r}')
        if alignment not in ('root', 'centroid_scale', 'none'):
            raise ValueError(f'alignment must be "root", "centroid_scale" or "none", got '
                             f'{alignment!r}')
        self.auc_range = tuple(auc_range)
        self.num_thresholds = num_thresholds
        self.scale = scale
        self.alignment = alignment
        self.joint_subset = None if joint_subset is None else list(joint_subset)
        self.min_valid_joints = min_valid_joints
        self.visible_only = visible_only
        self.pck_thresholds = tuple(pck_thresholds)
        self.pck2d_thresholds = tuple(pck2d_thresholds)
        self.auc2d_range = tuple(auc2d_range)
        self.outfile_prefix = outfile_prefix

    def process(self, data_batch: Sequence[dict], data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            gt, pred = sample['gt_instances'], sample['pred_instances']
            if 'keypoints_3d' not in gt:
                raise KeyError(f'{sample.get("img_path")}: the ground truth has no "keypoints_3d"; '
                               'Hand3DMetric needs a 3D-labelled test set')
            if 'keypoints_3d' not in pred:
                raise KeyError(f'{sample.get("img_path")}: the prediction has no "keypoints_3d" '
                               '(does the image have a camera matrix "K"?)')
            valid3d = np.asarray(gt['keypoints_3d_visible'][0]) > 0
            valid2d = np.asarray(gt['keypoints_visible'][0]) > 0
            if self.visible_only:
                visible = np.asarray(gt['keypoints_flag'][0]) >= 2
                valid3d, valid2d = valid3d & visible, valid2d & visible
            self.results.append(dict(
                group=sample.get('dataset_name', 'test'),
                pred3d=np.asarray(pred['keypoints_3d'][0], np.float64),
                gt3d=np.asarray(gt['keypoints_3d'][0], np.float64), valid3d=valid3d,
                pred2d=np.asarray(pred['keypoints'][0], np.float64)[:, :2],
                gt2d=np.asarray(gt['keypoints'][0], np.float64)[:, :2], valid2d=valid2d))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        groups = defaultdict(list)
        for r in results:
            groups[r['group']].append(r)
        logger = MMLogger.get_current_instance()
        metrics, curves = OrderedDict(), {}
        for name in sorted(groups):
            values, curve = self._evaluate(groups[name])
            curves[name] = curve
            key = (lambda k: k) if len(groups) == 1 else (lambda k, n=name: f'{n}/{k}')
            for k, v in values.items():
                metrics[key(k)] = v
            logger.info(f'{name}: {len(groups[name])} hands, 3D AUC {values["AUC"]:.4f} '
                        f'({self.auc_range[0]:g}-{self.auc_range[1]:g} mm, scale={self.scale}, '
                        f'alignment={self.alignment}), EPE {values["EPE"]:.2f} mm')
        if self.outfile_prefix:
            AtomicLocalBackend().put_text(json.dumps(curves), f'{self.outfile_prefix}.pck.json')
        return metrics

    def _evaluate(self, results: List[dict]) -> Tuple[Dict[str, float], dict]:
        joints = self.joint_subset or list(range(results[0]['gt3d'].shape[0]))
        errors3d = [[] for _ in joints]
        errors2d = [[] for _ in joints]
        for r in results:
            valid = r['valid3d'].copy()
            subset = np.zeros_like(valid)
            subset[joints] = True
            if (valid & subset).sum() >= self.min_valid_joints:
                err = joint_errors(r['pred3d'], r['gt3d'], valid & subset, self.alignment,
                                   self.scale)
                for i, j in enumerate(joints):
                    if valid[j]:
                        errors3d[i].append(err[j])
            err2d = np.linalg.norm(r['pred2d'] - r['gt2d'], axis=-1)
            for i, j in enumerate(joints):
                if r['valid2d'][j]:
                    errors2d[i].append(err2d[j])
        errors3d = [np.asarray(e) for e in errors3d]
        errors2d = [np.asarray(e) for e in errors2d]
        thr, pck, auc, epe, epe_med = pck_auc(errors3d, *self.auc_range, self.num_thresholds)
        values = OrderedDict(AUC=auc, EPE=epe, EPE_median=epe_med)
        for t in self.pck_thresholds:
            values[f'PCK@{t:g}'] = pck_auc(errors3d, t, t, 1)[1][0]
        thr2, pck2, auc2, epe2, _ = pck_auc(errors2d, *self.auc2d_range, self.num_thresholds)
        values['EPE2D'] = epe2
        values['AUC2D'] = auc2
        for t in self.pck2d_thresholds:
            values[f'PCK2D@{t:g}'] = pck_auc(errors2d, t, t, 1)[1][0]
        curve = dict(thresholds_mm=thr.tolist(), pck=pck.tolist(), thresholds_px=thr2.tolist(),
                     pck2d=pck2.tolist(), auc=auc, epe=epe)
        return {k: float(v) for k, v in values.items()}, curve
