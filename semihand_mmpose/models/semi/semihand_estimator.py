# Copyright (c) semihand_mmpose authors. All rights reserved.
"""SemiHand's teacher-student model around any 3D hand estimator (after mmdet's
SemiBaseDetector)."""
import copy
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmpose.registry import MODELS, TASK_UTILS
from mmpose.utils.typing import ConfigType, OptConfigType, SampleList
from torch import Tensor

from semihand_mmpose.biomech.corrector import BiomechanicalCorrector
from semihand_mmpose.geometry import apply_affine, lift_25d_to_3d
from .pose_rasterizer import rasterize_hand_mask
from .pseudo_labeller import select_pseudo_labels, unusable_share

#: Branch names of mmdet's MultiBranch that this model reads.
SUP, STUDENT, TEACHER = 'sup', 'unsup_student', 'unsup_teacher'


@MODELS.register_module()
class SemiHandEstimator(BaseModel):
    """Pseudo-labelling plus consistency training for 3D hands (Yang et al., ICCV 2021).

    ``student`` and ``teacher`` are two copies of one :class:`Hand3DPoseEstimator` config, so any
    backbone works. The student learns from the labelled batch (``sup`` branch) and, on the
    unlabelled batch, from:

    - pseudo-labels (``loss_pseudo_*``): the teacher's views fused and corrected by
      :class:`PseudoLabeller`, carried into the student's strongly augmented crop through the
      recorded crop matrices, weighted by per-joint confidence, unselected samples left out;
    - consistency for perturbations (``loss_pert``): the student's prediction on its strong view,
      carried into the weak view's crop, against its own prediction on the weak view;
    - cross-modal consistency (``loss_xmodal``): the mask head's output on the strong view against a
      mask rasterised softly from the predicted pose (differentiable in the pose);
    - optionally the corrector's bone-length interval penalty (``loss_biomech``).

    Pseudo-labels come from the teacher on every step (``mode='online'``, EMA teacher kept by
    mmdet's ``MeanTeacherHook``) or from the round store the :class:`SemiHandHook` fills
    (``mode='offline'``). Until the hook enables them, only the supervised loss is used (burn-in).

    Args:
        estimator (dict): Config of the student (and teacher) estimator.
        semi_train_cfg (dict): ``mode``, ``pseudo_labeller``, ``selection`` of samples and
            ``joint_selection`` of joints (each ``mode`` and ``value``: see :func:`select` and
            :func:`select_joints`), ``confidence_weighting`` (``False``: a selected
            pseudo-label's joints count fully instead of by their confidence; default ``True``),
            loss weights ``pseudo_weight``, ``pert_weight``, ``xmodal_weight``,
            ``biomech_weight`` (0 turns a part off), ``depth_weight`` (the weight of ``z_rel``'s
            L1 against the crop coordinates' in the pseudo-label and consistency losses; default
            0.3), ``predict_on`` (``'student'`` or ``'teacher'``, the model used at test
            time) and ``joint_forward`` (``True``: the labelled batch and the student's view of
            the unlabelled one go through the student in one forward, so that batch norm
            normalises both domains with the same statistics; default ``False``, a forward
            each, as mmdet's semi-supervised detectors do). Any other key is refused with a
            ``KeyError`` naming it.
        data_preprocessor (dict, optional): Usually mmdet's ``MultiBranchDataPreprocessor``
            around MMPose's ``PoseDataPreprocessor``.
    """

    def __init__(self, estimator: ConfigType, semi_train_cfg: ConfigType,
                 data_preprocessor: OptConfigType = None, init_cfg: OptConfigType = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.student = MODELS.build(copy.deepcopy(estimator))
        self.teacher = MODELS.build(copy.deepcopy(estimator))
        self.teacher.load_state_dict(self.student.state_dict())
        for p in self.teacher.parameters():
            p.requires_grad_(False)
        cfg = dict(mode='online', pseudo_labeller=dict(type='PseudoLabeller'),
                   selection=dict(mode='threshold', value=0.3), pseudo_weight=1.0,
                   joint_selection=dict(mode='all'), pert_weight=1.0, xmodal_weight=0.1,
                   biomech_weight=0.0, confidence_weighting=True, depth_weight=0.3,
                   predict_on='student', joint_forward=False)
        # a misspelt key (`pert_wieght=0.0`) would otherwise leave its part on at the default:
        # an ablation that silently ablates nothing
        unknown = sorted(set(semi_train_cfg) - set(cfg))
        if unknown:
            raise KeyError(f'semi_train_cfg has no key(s) {unknown}; it takes {sorted(cfg)}')
        cfg.update(semi_train_cfg)
        if cfg['mode'] not in ('online', 'offline'):
            raise ValueError(f'semi_train_cfg.mode must be "online" or "offline", got '
                             f'{cfg["mode"]!r}')
        if cfg['predict_on'] not in ('student', 'teacher'):
            raise ValueError(f'semi_train_cfg.predict_on must be "student" or "teacher", got '
                             f'{cfg["predict_on"]!r}')
        # a selection it cannot make fails now, not at the first round (in the one-command config
        # after the whole burn-in)
        try:
            select_pseudo_labels(torch.ones(2, 21), cfg['selection'], cfg['joint_selection'])
        except (TypeError, ValueError) as err:
            raise ValueError(f'semi_train_cfg.selection={cfg["selection"]!r} or joint_selection='
                             f'{cfg["joint_selection"]!r}: {err}') from err
        self.semi_train_cfg = cfg
        self.pseudo_labeller = TASK_UTILS.build(cfg['pseudo_labeller'])
        # the interval penalty needs only the limits; built only where the loss is on
        self.penalty = BiomechanicalCorrector() if cfg['biomech_weight'] > 0 else None
        self.semi_enabled = False
        self.predict_on = cfg['predict_on']
        self._register_load_state_dict_pre_hook(self._from_plain_estimator)
        #: offline mode: sample id -> (uv (21, 2) image px, z_rel (21,), confidence (21,),
        #: keep (21,) bool: the joints selected, or one bool for the whole sample)
        self.pseudo_store: Dict[int, Tuple[np.ndarray, np.ndarray, np.ndarray,
                                           Union[bool, np.ndarray]]] = {}

    # ------------------------------------------------------------------ plumbing
    @staticmethod
    def _from_plain_estimator(state_dict, prefix, *args, **kwargs) -> None:
        """Let ``load_from`` take a plain estimator's checkpoint (e.g. from pre-training): its
        weights go to both the student and the teacher."""
        plain = [k for k in state_dict if k.startswith(prefix) and not k[len(prefix):].startswith(
            ('student.', 'teacher.', 'data_preprocessor.'))]
        for key in plain:
            rest = key[len(prefix):]
            value = state_dict.pop(key)
            state_dict[f'{prefix}student.{rest}'] = value
            state_dict[f'{prefix}teacher.{rest}'] = value.clone()

    @property
    def predictor(self) -> nn.Module:
        """The network that predicts at validation and test time (``predict_on``)."""
        return self.teacher if self.predict_on == 'teacher' else self.student

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        """``'loss'``: :meth:`loss` of the multi-branch batch; ``'predict'`` and ``'tensor'``:
        those of :attr:`predictor`."""
        model = self.predictor
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return model.predict(inputs, data_samples)
        return model._forward(inputs, data_samples)

    @property
    def input_size(self) -> Tuple[int, int]:
        return self.student.head.input_size

    def _forward_25d(self, model: nn.Module,
                     inputs: Tensor) -> Tuple[Tensor, Tensor, Tensor, tuple]:
        """``uv`` (N, K, 2) in crop pixels, ``z_rel`` (N, K), probabilities and features."""
        return self._decode_25d(model, model.extract_feat(inputs))

    def _decode_25d(self, model: nn.Module, feats: tuple) -> Tuple[Tensor, Tensor, Tensor, tuple]:
        """:meth:`_forward_25d` of features already extracted."""
        coords, z_rel, probs = model.head.forward(feats)
        return coords * coords.new_tensor(self.input_size), z_rel, probs, feats

    def _crop_l1(self, uv: Tensor, target: Tensor) -> Tensor:
        """Per-joint L1 distance (N, K) between two sets of crop pixels, in units of the crop's
        width and height, so that the losses do not change with the input size."""
        return ((uv - target) / uv.new_tensor(self.input_size)).abs().sum(-1)

    @staticmethod
    def _matrices(samples: SampleList, key: str = 'crop_matrix') -> Tensor:
        return torch.as_tensor(np.stack([np.asarray(s.metainfo[key]) for s in samples]),
                               dtype=torch.float64)

    # ---------------------------------------------------------------- pseudo-labels
    @staticmethod
    def teacher_views(inputs: Dict[str, Tensor]) -> List[str]:
        """Teacher branches in order: the original view first, then the perturbed ones."""
        extra = sorted(b for b in inputs if b.startswith(TEACHER + '_'))
        return [TEACHER] + extra

    @torch.no_grad()
    def predict_pseudo_labels(self, inputs: Dict[str, Tensor], samples: Dict[str, SampleList],
                              model: Optional[nn.Module] = None) -> Dict[str, Tensor]:
        """Run ``model`` (default: the teacher) on every teacher view and fuse the predictions."""
        model = self.teacher if model is None else model
        was_training = model.training
        model.eval()
        uvs, zs, mats = [], [], []
        for branch in self.teacher_views(inputs):
            uv, z, _, _ = self._forward_25d(model, inputs[branch])
            uvs.append(uv.double())
            zs.append(z.double())
            mats.append(self._matrices(samples[branch]))
        model.train(was_training)
        ref = samples[TEACHER]
        K = torch.as_tensor(np.stack([np.asarray(s.metainfo['K']) for s in ref]),
                            dtype=torch.float64)
        is_left = torch.tensor([s.metainfo.get('hand_side', 'right') == 'left' for s in ref])
        return self.pseudo_labeller(torch.stack(uvs), torch.stack(zs), torch.stack(mats), K,
                                    float(max(self.input_size)), is_left)

    def _stored_pseudo_labels(self, samples: SampleList) -> Dict[str, Tensor]:
        missing = [s.metainfo.get('id') for s in samples if s.metainfo.get('id') not in
                   self.pseudo_store]
        if missing:
            raise KeyError(f'no offline pseudo-label for unlabelled sample id(s) {missing[:5]}; '
                           'the pseudo-label round does not cover the unlabelled dataset')
        rows = [self.pseudo_store[s.metainfo['id']] for s in samples]
        uv, z, conf = (torch.as_tensor(np.stack([r[i] for r in rows])) for i in range(3))
        keep = torch.as_tensor(np.stack([np.broadcast_to(r[3], r[2].shape) for r in rows]))
        return dict(uv=uv.double(), z_rel=z.double(), confidence=conf.double(), keep=keep)

    # ---------------------------------------------------------------------- losses
    def loss(self, multi_batch_inputs: Dict[str, Tensor],
             multi_batch_data_samples: Dict[str, SampleList]) -> dict:
        """The supervised loss of the labelled branch (``sup_*``) and, once the hook has switched
        them on, the unlabelled losses (:meth:`unsup_loss`)."""
        inputs, samples = multi_batch_inputs, multi_batch_data_samples
        unsup = self.semi_enabled and STUDENT in inputs
        strong = None
        if SUP in inputs and unsup and self.semi_train_cfg['joint_forward']:
            sup, strong = self._joint_forward(inputs, samples)
        elif SUP in inputs:
            sup = self.student.loss(inputs[SUP], samples[SUP])
        else:
            sup = {}
        losses = {f'sup_{k}': v for k, v in sup.items()}
        if unsup:
            losses.update(self.unsup_loss(inputs, samples, strong))
        return losses

    def _joint_forward(self, inputs: Dict[str, Tensor],
                       samples: Dict[str, SampleList]) -> Tuple[dict, tuple]:
        """The labelled batch and the student's (strong) view of the unlabelled batch through the
        student in one forward (``joint_forward``): its supervised losses, and its outputs on the
        strong view as :meth:`_forward_25d` gives them.

        Why: in two forwards each domain's batch is normalised with its own statistics, so
        batch norm evens out what differs between the domains and the weights need not; in one
        the weights must. On the synthetic domains (the tuned setting at 6e-4, three seeds from
        each of six stage-1 models) one forward scored +0.0021 to +0.0048 on 2,000 fresh target
        hands from five and -0.0041 from the sixth, at 4e-4 +0.0034 to +0.0046 from the same five
        and -0.0040 from the same sixth (docs/results.md, "One forward for both domains", "...
        from three more stage-1 models" and "A sixth stage-1 model"), so it stays an option.
        """
        n = len(inputs[SUP])
        feats = self.student.extract_feat(torch.cat([inputs[SUP], inputs[STUDENT]]))
        sup = self.student.loss_of_features(tuple(f[:n] for f in feats), samples[SUP])
        return sup, self._decode_25d(self.student, tuple(f[n:] for f in feats))

    def unsup_loss(self, inputs: Dict[str, Tensor], samples: Dict[str, SampleList],
                   strong: Optional[tuple] = None) -> dict:
        """The losses of the student's strong view of each unlabelled image, each one left out
        when its weight in ``semi_train_cfg`` is 0: the pseudo-label loss (weighted by confidence
        and selection), perturbation consistency with the weak view, cross-modal consistency with
        the mask head, and the biomechanical interval penalty.

        Args:
            inputs (dict): Branch name to image batch (``unsup_student``, ``unsup_teacher`` and
                the perturbed teacher views).
            samples (dict): Branch name to the batch's data samples, each carrying its view's
                ``crop_matrix``.
            strong (tuple, optional): The student's outputs on its view, where a joint forward
                has computed them (:meth:`_joint_forward`); ``None`` runs the student on it.

        Returns:
            dict: ``loss_pseudo_coord``, ``loss_pseudo_depth``, ``loss_pert``, ``loss_xmodal``,
            ``loss_biomech``: those whose weight is not 0; online, with the pseudo-label loss,
            also ``pseudo_kept`` and ``pseudo_confidence`` (logged, not losses).
        """
        cfg = self.semi_train_cfg
        uv, z, _, feats = (self._forward_25d(self.student, inputs[STUDENT]) if strong is None
                           else strong)
        to_student = self._matrices(samples[STUDENT]).to(uv.device)
        losses = {}
        if cfg['pseudo_weight'] > 0:
            losses.update(self._pseudo_label_loss(inputs, samples, uv, z, to_student))
        if cfg['pert_weight'] > 0:
            losses['loss_pert'] = self._perturbation_loss(inputs, samples, uv, z, to_student)
        if cfg['xmodal_weight'] > 0 and self.student.with_mask_head:
            losses['loss_xmodal'] = self._cross_modal_loss(uv, feats)
        if cfg['biomech_weight'] > 0:
            losses['loss_biomech'] = self._biomech_loss(samples, uv, z)
        return losses

    def _pseudo_label_loss(self, inputs: Dict[str, Tensor], samples: Dict[str, SampleList],
                           uv: Tensor, z: Tensor, to_student: Tensor) -> dict:
        """L1 to the pseudo-labels carried into the strong view, each joint weighted by its
        confidence (or 1) where selected, 0 elsewhere, averaged over the weights.

        Online, where no round logs them, the batch's fraction of joints kept
        (``pseudo_kept``), mean confidence (``pseudo_confidence``) and fraction of hands with
        confidence 0 (``pseudo_zero_confidence``, which :class:`SemiHandHook` watches) come with
        the losses: MMEngine logs them and leaves them out of the total (no ``loss`` in the
        name), so a selection that keeps nothing shows as 0 rather than as a quietly zero loss."""
        cfg = self.semi_train_cfg
        stats = {}
        if cfg['mode'] == 'online':
            pseudo = self.predict_pseudo_labels(inputs, samples)
            _, keep = select_pseudo_labels(pseudo['confidence'], cfg['selection'],
                                           cfg['joint_selection'])
            stats = dict(pseudo_kept=keep.float().mean().to(uv.device),  # keep: (B, K) joints
                         pseudo_confidence=pseudo['confidence'].float().mean().to(uv.device),
                         pseudo_zero_confidence=unusable_share(pseudo['confidence']).to(
                             uv.device))
        else:
            pseudo = self._stored_pseudo_labels(samples[STUDENT])
            keep = pseudo['keep']
        # the selected joints count by their confidences, or fully
        joint_weight = (pseudo['confidence'] if cfg['confidence_weighting'] else
                        torch.ones_like(pseudo['confidence']))
        weight = (joint_weight * keep.to(joint_weight)).to(uv)
        denom = weight.sum().clamp_min(1.0)
        target_uv = apply_affine(pseudo['uv'].to(to_student), to_student).to(uv)
        err_uv = self._crop_l1(uv, target_uv)
        err_z = (z - pseudo['z_rel'].to(z)).abs()
        return dict(
            loss_pseudo_coord=cfg['pseudo_weight'] * (err_uv * weight).sum() / denom,
            loss_pseudo_depth=(cfg['pseudo_weight'] * cfg['depth_weight'] *
                               (err_z * weight).sum() / denom), **stats)

    def _perturbation_loss(self, inputs: Dict[str, Tensor], samples: Dict[str, SampleList],
                           uv: Tensor, z: Tensor, to_student: Tensor) -> Tensor:
        """L1 between the strong view's prediction, carried into the weak view, and the weak
        view's own prediction."""
        # the weak view's prediction is the target (stop-gradient, as in FixMatch): with
        # gradients through both views, agreement can also be reached by moving the better
        # (weak-view) prediction towards the perturbed one; it also saves a backward pass
        with torch.no_grad():
            weak_uv, weak_z, _, _ = self._forward_25d(self.student, inputs[TEACHER])
        to_weak = self._matrices(samples[TEACHER]).to(uv.device)
        strong_in_weak = apply_affine(uv.double(), to_weak @ torch.linalg.inv(to_student))
        cfg = self.semi_train_cfg
        return cfg['pert_weight'] * (self._crop_l1(strong_in_weak.to(uv), weak_uv).mean() +
                                     cfg['depth_weight'] * (z - weak_z).abs().mean())

    def _cross_modal_loss(self, uv: Tensor, feats: tuple) -> Tensor:
        """The mask head's loss against a mask rasterised softly (differentiably) from the
        predicted joints: pose and mask must describe the same hand."""
        logits = self.student.mask_head.forward(feats)
        h, w = logits.shape[-2:]
        crop_w, crop_h = self.input_size
        # in float32 under mixed precision too: the bones of a collapsed pose (a young model's)
        # have near-zero length, and the gradient of each pixel's projection onto them
        # overflows float16
        with torch.autocast(device_type=uv.device.type, enabled=False):
            # crop pixel -> mask pixel, pixel centres at integers in both
            uv_mask = (uv.float() + 0.5) * uv.new_tensor([w / crop_w, h / crop_h]) - 0.5
            raster = rasterize_hand_mask(uv_mask, (w, h))
            return self.semi_train_cfg['xmodal_weight'] * self.student.mask_head.loss_module(
                logits.float(), raster)

    def _biomech_loss(self, samples: Dict[str, SampleList], uv: Tensor, z: Tensor) -> Tensor:
        """The corrector's interval penalty on the student's predictions lifted to 3D (unit
        reference bone) with the strong view's crop intrinsics."""
        K = torch.as_tensor(np.stack([np.asarray(s.metainfo['input_K'])
                                      for s in samples[STUDENT]]), dtype=torch.float32)
        # in float32 under mixed precision too: the root depth is the root of a quadratic whose
        # discriminant cancels, and float16 makes it negative or zero (an infinite gradient)
        with torch.autocast(device_type=uv.device.type, enabled=False):
            joints = lift_25d_to_3d(uv.float(), z.float(), K.to(uv.device),
                                    torch.ones_like(z[:, 0], dtype=torch.float32))
            return self.semi_train_cfg['biomech_weight'] * self.penalty.interval_penalty(
                joints).mean()
