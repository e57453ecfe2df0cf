# Copyright (c) semihand_mmpose authors. All rights reserved.
"""A SemiHand stage-2 checkpoint as the plain estimator that ``tools/test.py`` tested.

Stage 2 tests its predictor (the student, or the EMA teacher with ``predict_on='teacher'``) with
batch-norm statistics re-estimated on the unlabelled target images (``SemiHandHook``'s
``eval_target_bn``, AdaBN): the running statistics in its checkpoint mix both domains and the
student's strong views. Until those statistics are in it, the checkpoint is not the model that was
tested, and it also holds a teacher that inference does not need. :func:`export_adapted_estimator`
builds the stage-2 model, loads the checkpoint, re-estimates the statistics exactly as the hook does
before a test, and returns the predictor with the config of a plain estimator, so that MMPose's
``init_model``, ``tools/test.py`` and :func:`~semihand_mmpose.apis.inference_hand3d` use it without
the unlabelled images, the hook or the teacher.
"""
import copy
from typing import Optional, Tuple

from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.registry import HOOKS, MODELS
from torch import nn

from semihand_mmpose.datasets.hand3d_dataset import METAINFO_FILE

#: hooks that drive the teacher-student model, left out of the exported config
STAGE2_HOOKS = ('SemiHandHook', 'MeanTeacherHook', 'mmdet.MeanTeacherHook')


def _hook_type(hook_cfg: dict) -> str:
    kind = hook_cfg.get('type')
    return kind if isinstance(kind, str) else getattr(kind, '__name__', str(kind))


def estimator_config(cfg: Config) -> Config:
    """The stage-2 config ``cfg`` with the estimator it wraps as its model, the hooks of the
    teacher-student model left out and no ``load_from``: the config of an exported checkpoint,
    for testing and inference (its train dataloader is still stage 2's)."""
    if cfg.model.get('type') != 'SemiHandEstimator':
        raise ValueError(f'{cfg.filename}: model.type must be "SemiHandEstimator" (a stage-2 '
                         f'config), got {cfg.model.get("type")!r}')
    out = copy.deepcopy(cfg)
    out.model = copy.deepcopy(cfg.model.estimator)
    out.custom_hooks = [h for h in cfg.get('custom_hooks', []) if _hook_type(h) not in STAGE2_HOOKS]
    out.load_from = None
    return out


def semihand_hook_cfg(cfg: Config) -> Optional[dict]:
    """The config's ``SemiHandHook`` entry of ``custom_hooks`` (the first), or ``None``."""
    hooks = [h for h in cfg.get('custom_hooks', []) if _hook_type(h) == 'SemiHandHook']
    return hooks[0] if hooks else None


def target_bn_hook(cfg: Config):
    """The config's ``SemiHandHook`` when it tests with target batch-norm statistics
    (``eval_target_bn``), else ``None``."""
    hook_cfg = semihand_hook_cfg(cfg)
    if hook_cfg is not None and hook_cfg.get('eval_target_bn', False):
        return HOOKS.build(copy.deepcopy(hook_cfg))
    return None


def export_adapted_estimator(cfg: Config, checkpoint: str,
                             device: str = 'cpu') -> Tuple[nn.Module, Config, dict]:
    """The network that ``tools/test.py cfg checkpoint`` tests, as a plain estimator.

    Args:
        cfg (Config): A stage-2 config (``model.type='SemiHandEstimator'``).
        checkpoint (str): A checkpoint of that model (or of the plain estimator it wraps).
        device (str): Where the statistics are re-estimated and the estimator is returned; the
            device ``tools/test.py`` ran on gives its statistics (on the CPU, bit for bit), and a
            GPU does it faster for a large model. Defaults to ``'cpu'``.

    Returns:
        tuple: The predictor (an estimator in eval mode on ``device``, its batch-norm statistics
        those of the unlabelled images where the config tests with them), its config
        (:func:`estimator_config`) and the checkpoint's ``meta`` with ``semihand_export``
        added: the checkpoint, the network taken (``student`` or ``teacher``) and the number of
        unlabelled batches its statistics come from (0: the checkpoint's own).
    """
    est_cfg = estimator_config(cfg)
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    model = MODELS.build(copy.deepcopy(cfg.model))
    loaded = load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    model.to(device)
    hook = target_bn_hook(cfg)
    if hook is not None:
        # the same batches, in the same order, as the hook's before_test: the same statistics
        hook.adapt_batch_norm(model, model.predictor)
    estimator = model.predictor.eval()
    meta = dict(loaded.get('meta', {}))
    # MMPose's init_model reads the keypoints' names, skeleton and flip pairs from here; a
    # checkpoint saved outside a Runner may lack them
    meta.setdefault('dataset_meta', parse_pose_metainfo(dict(from_file=METAINFO_FILE)))
    meta['semihand_export'] = dict(checkpoint=checkpoint, predictor=model.predict_on,
                                   target_bn_batches=hook.adapt_bn_batches if hook else 0)
    return estimator, est_cfg, meta
