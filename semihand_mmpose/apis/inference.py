# Copyright (c) semihand_mmpose authors. All rights reserved.
"""3D hands from images: MMPose's ``inference_topdown`` with the camera that lifting needs.

MMPose's ``inference_topdown`` takes its pipeline from ``cfg.test_dataloader.dataset.pipeline``,
which configs that test on several sets at once (this project's synthetic configs test both domains
through a ``ConcatDataset``) do not have, and it passes no camera, so a 2.5D prediction cannot be
lifted. :func:`inference_hand3d` takes the first test set's pipeline (or the config's
``test_pipeline`` where it has no test loop) and the image's intrinsics ``K``; the estimator then
adds ``keypoints_z_rel`` and, with ``K``, ``keypoints_3d`` to each hand's ``pred_instances``.
:func:`init_hand3d_model` is MMPose's ``init_model`` for this project's configs, a SemiHand stage-2
config included.
"""
import copy
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope
from mmpose.apis import init_model
from mmpose.structures import PoseDataSample
from mmpose.structures.bbox import bbox_xywh2xyxy
from PIL import Image
from torch import nn

from .export import export_adapted_estimator


def init_hand3d_model(config: Union[str, Config], checkpoint: Optional[str] = None,
                      device: str = 'cpu', cfg_options: Optional[dict] = None) -> nn.Module:
    """Build an estimator for inference (MMPose's ``init_model``, stage-2 configs included).

    MMPose's ``init_model`` reads ``config.model.backbone``, which a stage-2 config (its model a
    ``SemiHandEstimator`` around the estimator) does not have. For such a config the checkpoint
    is exported in memory as ``tools/misc/export_adapted_model.py`` exports it: the predictor
    with the batch-norm statistics it was tested with, which re-estimating from the unlabelled
    images takes a few seconds per call; export once to predict often.

    Args:
        config (str | Config): An estimator config, or a stage-2 config.
        checkpoint (str, optional): Its checkpoint; required for a stage-2 config.
        device (str): Defaults to ``'cpu'``.
        cfg_options (dict, optional): Options merged into the config, as ``--cfg-options``.

    Returns:
        nn.Module: The estimator in eval mode, its ``cfg`` (a plain estimator config) and
        ``dataset_meta`` set, as :func:`inference_hand3d` takes it.
    """
    cfg = Config.fromfile(config) if isinstance(config, str) else copy.deepcopy(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if cfg.model.get('type') != 'SemiHandEstimator':
        return init_model(cfg, checkpoint, device=device)
    if checkpoint is None:
        raise ValueError(f'{cfg.filename}: a stage-2 config (model.type "SemiHandEstimator") '
                         'predicts with a trained checkpoint; none was given')
    estimator, est_cfg, meta = export_adapted_estimator(cfg, checkpoint, device)
    estimator.cfg = est_cfg
    estimator.dataset_meta = meta['dataset_meta']
    return estimator


def pipeline_of(dataset_cfg: dict) -> list:
    """The pipeline of a dataset config, or of the first dataset that a wrapper
    (``ConcatDataset``'s ``datasets``, ``RepeatDataset``'s ``dataset``) holds."""
    if 'pipeline' in dataset_cfg:
        return dataset_cfg['pipeline']
    if dataset_cfg.get('datasets'):
        return pipeline_of(dataset_cfg['datasets'][0])
    if 'dataset' in dataset_cfg:
        return pipeline_of(dataset_cfg['dataset'])
    raise KeyError(f'test_dataloader.dataset (type {dataset_cfg.get("type")!r}) has no pipeline, '
                   'nor a dataset or datasets that have one')


def inference_pipeline_of(cfg: Config) -> list:
    """The pipeline :func:`inference_hand3d` runs: ``cfg``'s first test set's
    (:func:`pipeline_of`) or, in a config without a test loop (``configs/semihand_own_images.py``,
    whose domain has no labelled image), its ``test_pipeline``."""
    if cfg.get('test_dataloader') is not None:
        return pipeline_of(cfg.test_dataloader.dataset)
    if cfg.get('test_pipeline') is not None:
        return cfg.test_pipeline
    raise KeyError(f'{cfg.filename}: neither a test_dataloader nor a test_pipeline to take the '
                   'pipeline from')


def check_intrinsics(K: Union[np.ndarray, Sequence]) -> np.ndarray:
    """``K`` as a (3, 3) float64 pinhole matrix, or a ``ValueError`` that says what is wrong."""
    K = np.asarray(K, dtype=np.float64)
    if K.shape != (3, 3):
        raise ValueError(f'K must be the (3, 3) camera intrinsics, got shape {K.shape}')
    if not np.isfinite(K).all() or not np.allclose(K[2], [0.0, 0.0, 1.0]) or K[0, 0] <= 0 \
            or K[1, 1] <= 0:
        raise ValueError('K must be [[fx, s, cx], [0, fy, cy], [0, 0, 1]] with finite entries '
                         f'and fx, fy > 0, got {K.tolist()}')
    return K


def inference_hand3d(model: nn.Module, img: Union[np.ndarray, str],
                     bboxes: Optional[Union[Sequence, np.ndarray]] = None,
                     K: Optional[Union[np.ndarray, Sequence]] = None,
                     bbox_format: str = 'xyxy') -> List[PoseDataSample]:
    """Predict the 3D pose of each hand box in an image (after MMPose's ``inference_topdown``).

    Args:
        model (nn.Module): A top-down estimator from :func:`init_hand3d_model` or MMPose's
            ``init_model`` (its ``cfg`` and ``dataset_meta`` set), e.g. a
            :class:`Hand3DPoseEstimator`.
        img (np.ndarray | str): The image (BGR, as ``mmcv.imread`` gives it) or its file.
        bboxes (np.ndarray, optional): Hand boxes (N, 4) (or one box (4,)) in image pixels; the
            whole image if ``None`` or empty. Each is enlarged by the test pipeline's padding,
            as in testing.
        K (np.ndarray, optional): The image's (3, 3) camera intrinsics. Without it there is no
            ``keypoints_3d`` (the 2.5D prediction has no metric depth without a camera).
        bbox_format (str): ``'xyxy'`` or ``'xywh'``. Defaults to ``'xyxy'``.

    Returns:
        list[PoseDataSample]: One per box. ``pred_instances`` holds ``keypoints`` (1, 21, 2) in
        image pixels, ``keypoint_scores``, ``keypoints_z_rel`` (1, 21) in units of the reference
        bone and, with ``K``, ``keypoints_3d`` (1, 21, 3): camera-frame mm for a reference bone
        of ``model.test_cfg['ref_bone_length']`` mm (one image fixes the pose up to scale).
    """
    if bbox_format not in ('xyxy', 'xywh'):
        raise ValueError(f'bbox_format must be "xyxy" or "xywh", got {bbox_format!r}')
    K = None if K is None else check_intrinsics(K)
    init_default_scope(model.cfg.get('default_scope', 'mmpose'))
    pipeline = Compose(inference_pipeline_of(model.cfg))
    if bboxes is None or len(bboxes) == 0:
        w, h = Image.open(img).size if isinstance(img, str) else img.shape[1::-1]
        bboxes = np.array([[0, 0, w, h]], dtype=np.float32)
    bboxes = np.asarray(bboxes, dtype=np.float32)
    bboxes = bboxes[None] if bboxes.ndim == 1 else bboxes
    if bboxes.ndim != 2 or bboxes.shape[1] != 4:
        raise ValueError(f'bboxes must be (N, 4) boxes ({bbox_format}), got shape {bboxes.shape}')
    if bbox_format == 'xywh':
        bboxes = bbox_xywh2xyxy(bboxes)
    data_list = []
    for bbox in bboxes:
        data_info = dict(img_path=img) if isinstance(img, str) else dict(img=img)
        data_info.update(bbox=bbox[None], bbox_score=np.ones(1, dtype=np.float32))
        if K is not None:
            data_info['K'] = K.astype(np.float32)
        data_info.update(model.dataset_meta)
        data_list.append(pipeline(data_info))
    with torch.no_grad():
        return model.test_step(pseudo_collate(data_list))
