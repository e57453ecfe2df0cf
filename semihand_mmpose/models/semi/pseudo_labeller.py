# Copyright (c) semihand_mmpose authors. All rights reserved.
"""SemiHand's pseudo-labels: average of views and correction, confidence from their agreement."""
from typing import Dict, Optional, Tuple

import torch
from mmpose.registry import TASK_UTILS
from torch import Tensor

from semihand_mmpose.geometry import apply_affine, lift_25d_to_3d


@TASK_UTILS.register_module()
class PseudoLabeller:
    """Fuse a teacher's predictions on several views of one hand into a pseudo-label.

    Every view's 2.5D prediction is carried to the image frame through the inverse of its crop
    matrix (``z_rel`` needs no carrying: an in-plane warp leaves it unchanged). The mean over views
    is lifted to 3D with the image's ``K`` and a unit reference bone, corrected by the
    biomechanical corrector, and projected back. The pseudo-label is the average of the views and
    the corrected pose; each joint's confidence is

    ``exp(-var_uv / sigma^2) * exp(-var_z / sigma_z^2) * exp(-d_corr^2 / tau^2)``

    with ``var_uv`` and ``var_z`` the spread of the views and the corrected pose around that average
    (pixels divided by the crop side; ``z_rel``), and ``d_corr`` how far the corrector moved the
    joint (in units of the reference bone).

    A hand the corrector cannot use keeps the views' mean and gets feasibility 0 on every joint:
    a degenerate pose (see :class:`BiomechanicalCorrector`), and a pose whose lift puts a joint
    less than ``min_depth`` reference bones in front of the camera. The lift takes the root depth
    from the reference bone's image length; where that bone points along the view ray, the depth
    is ill-determined (0 when the bone is a point in the image), and the corrected pose projects
    back through ``K`` far off the image or mirrored. On the synthetic target two hands in 3,000
    of a source-only model's round-0 labels lifted so: their corrected wrists landed 10^8-10^9 px
    away, and those two joints put the round's mean label error, and the next round's movement,
    at 31,000 px (selection had left both hands out, so training did not feel them).

    The depth term is off by default (``sigma_z=None``). Measured on the synthetic target with the
    source-only model (3,000 hands, three views): the spread of the views' depths is larger than
    that of their pixels and unrelated to the 2D error (Spearman +0.05 per hand), so with it in,
    the confidence ranked hands barely better than chance (Spearman -0.19 against the 2D error;
    the 70% kept were 10.1 px off, all 10.7 px). Without it: -0.51, and the kept 70% 9.3 px off.

    Args:
        corrector (dict, optional): Config of the corrector; ``None`` turns correction off (the
            feasibility term is then 1).
        sigma (float): Scale of the consistency term of the pixels. Defaults to 0.05.
        sigma_z (float, optional): Scale of the consistency term of the depths; ``None`` leaves
            depth out of the confidence. Defaults to ``None``.
        tau (float): Scale of the feasibility term. Defaults to 0.1.
        use_consistency (bool): ``False`` drops the variance term. Defaults to ``True``.
        min_depth (float): The least depth, in reference bones, of every joint of a lifted and of
            a corrected pose for the correction to count (the synthetic hands' nearest joint lies
            1.03 or more in front of the camera; a real hand 10 cm away, about 1). Defaults to
            0.25.
    """

    def __init__(self, corrector: Optional[dict] = dict(type='BiomechanicalCorrector'),
                 sigma: float = 0.05, sigma_z: Optional[float] = None, tau: float = 0.1,
                 use_consistency: bool = True, min_depth: float = 0.25) -> None:
        # each scale divides a spread: 0 would make the confidence of views that agree 0/0 = NaN
        for name, scale in (('sigma', sigma), ('sigma_z', sigma_z), ('tau', tau),
                            ('min_depth', min_depth)):
            if scale is not None and not scale > 0:
                raise ValueError(f'PseudoLabeller.{name} must be > 0, got {scale!r}')
        self.corrector = TASK_UTILS.build(corrector) if corrector is not None else None
        self.sigma = sigma
        self.sigma_z = sigma_z
        self.tau = tau
        self.use_consistency = use_consistency
        self.min_depth = min_depth

    def __call__(self, uv_views: Tensor, z_views: Tensor, crop_matrices: Tensor, K: Tensor,
                 crop_size: float, is_left: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Pseudo-labels for a batch.

        Args:
            uv_views (Tensor): (V, B, 21, 2) keypoints in each view's crop pixels.
            z_views (Tensor): (V, B, 21) relative depths.
            crop_matrices (Tensor): (V, B, 3, 3) image -> crop maps of the views.
            K (Tensor): (B, 3, 3) image intrinsics.
            crop_size (float): Side of the crop in pixels (normalises the spread).
            is_left (Tensor, optional): (B,) bool, the hands' sides for the corrector (a left
                hand corrected as a right one has its palm normal, and so its flexion, reversed).
                Defaults to all right hands.

        Returns:
            dict: ``uv`` (B, 21, 2) in image pixels, ``z_rel`` (B, 21), ``confidence`` (B, 21),
            ``corrected_uv`` (B, 21, 2), ``views_uv`` (V, B, 21, 2) in image pixels.
        """
        dtype = uv_views.dtype
        uv_views = uv_views.double()
        z_views = z_views.double()
        # the crop matrices and intrinsics come from the data samples (CPU); the predictions may
        # be on a GPU
        crop_matrices = crop_matrices.to(uv_views)
        K = K.to(uv_views)
        to_image = torch.linalg.inv(crop_matrices)
        views_uv = apply_affine(uv_views, to_image)
        mean_uv, mean_z = views_uv.mean(0), z_views.mean(0)
        candidates_uv, candidates_z = [views_uv], [z_views]
        feasibility = torch.ones_like(mean_z)
        corrected_uv = mean_uv
        if self.corrector is not None:
            corrected_uv, corrected_z, feasibility = self.correct(mean_uv, mean_z, K, is_left)
            candidates_uv.append(corrected_uv[None])
            candidates_z.append(corrected_z[None])
        all_uv = torch.cat(candidates_uv)
        all_z = torch.cat(candidates_z)
        uv, z = all_uv.mean(0), all_z.mean(0)
        consistency = torch.ones_like(z)
        if self.use_consistency:
            var = (((all_uv - uv) / crop_size) ** 2).sum(-1).mean(0) / self.sigma ** 2
            if self.sigma_z is not None:
                var = var + ((all_z - z) ** 2).mean(0) / self.sigma_z ** 2
            consistency = torch.exp(-var)
        return dict(uv=uv.to(dtype), z_rel=z.to(dtype),
                    confidence=(consistency * feasibility).to(dtype),
                    corrected_uv=corrected_uv.to(dtype), views_uv=views_uv.to(dtype))

    def correct(self, uv: Tensor, z_rel: Tensor, K: Tensor,
                is_left: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        """The closest feasible pose to a 2.5D pose, back in 2.5D, and its feasibility.

        The pose is lifted to 3D with a unit reference bone (the corrector's limits are relative
        to it), corrected, and projected back through ``K``. A pose the corrector cannot use
        (degenerate: its displacement is infinite; or a joint, lifted or corrected, less than
        ``min_depth`` in front of the camera) keeps its uncorrected pose and gets feasibility 0.

        Args:
            uv (Tensor): (B, 21, 2) image pixels.
            z_rel (Tensor): (B, 21) root-relative depths.
            K (Tensor): (B, 3, 3) intrinsics.
            is_left (Tensor, optional): (B,) bool hand sides.

        Returns:
            tuple: ``uv`` (B, 21, 2) and ``z_rel`` (B, 21) corrected, and each joint's
            feasibility ``exp(-d_corr^2 / tau^2)`` (B, 21).
        """
        joints = lift_25d_to_3d(uv, z_rel, K, torch.ones_like(z_rel[:, 0]))
        corrected, displacement = self.corrector(
            joints, None if is_left is None else is_left.to(joints.device))
        proj = corrected @ K.transpose(-1, -2)
        corrected_uv = proj[..., :2] / proj[..., 2:3].clamp_min(1e-9)
        corrected_z = corrected[..., 2] - corrected[:, :1, 2]
        # NaN depths compare False, so a non-finite pose is left out here as well
        in_front = (torch.minimum(joints[..., 2], corrected[..., 2]) >= self.min_depth).all(-1)
        ok = torch.isfinite(displacement) & in_front[:, None]
        corrected_uv = torch.where(ok[..., None], corrected_uv, uv)
        corrected_z = torch.where(ok, corrected_z, z_rel)
        feasibility = torch.exp(-(displacement.clamp_max(1e3) / self.tau) ** 2)
        return (corrected_uv, corrected_z,
                torch.where(ok, feasibility, torch.zeros_like(feasibility)))


def select(confidence: Tensor, mode: str = 'threshold', value: float = 0.5) -> Tensor:
    """Which samples to keep, from per-joint confidences (B, K).

    Args:
        mode (str): ``'threshold'`` keeps samples whose mean confidence is at least ``value``;
            ``'top_fraction'`` keeps the ``value`` fraction with the highest mean confidence;
            ``'all'`` keeps every sample.

    Returns:
        Tensor: (B,) bool.
    """
    score = confidence.mean(-1)
    if mode == 'all':
        return torch.ones_like(score, dtype=torch.bool)
    if mode == 'threshold':
        return score >= value
    if mode == 'top_fraction':
        keep = max(1, int(round(value * score.numel()))) if score.numel() else 0
        order = torch.argsort(score, descending=True, stable=True)
        mask = torch.zeros_like(score, dtype=torch.bool)
        mask[order[:keep]] = True
        return mask
    raise ValueError(f'selection mode must be "threshold", "top_fraction" or "all", got {mode!r}')


def select_joints(confidence: Tensor, mode: str = 'all', value: float = 0.5) -> Tensor:
    """Which joints of the pseudo-labels to keep, from per-joint confidences (B, K).

    ``top_fraction`` ranks each joint among the same joint of the other samples, not among all
    joints: fingertips are less consistent across views than knuckles (mean confidence 0.66-0.76
    against 0.87-0.93 in a round of the source-only model on the synthetic target), so a ranking
    over all joints would take their supervision away first (a top 70% over all joints keeps 47%
    of the fingertips).

    Args:
        mode (str): ``'threshold'`` keeps joints whose confidence is at least ``value``;
            ``'top_fraction'`` keeps, for each joint, the ``value`` fraction of samples with the
            highest confidence of that joint; ``'all'`` keeps every joint.

    Returns:
        Tensor: (B, K) bool.
    """
    if mode == 'all':
        return torch.ones_like(confidence, dtype=torch.bool)
    if mode == 'threshold':
        return confidence >= value
    if mode == 'top_fraction':
        n = confidence.shape[0]
        keep = max(1, int(round(value * n))) if n else 0
        order = torch.argsort(confidence, dim=0, descending=True, stable=True)
        mask = torch.zeros_like(confidence, dtype=torch.bool)
        mask.scatter_(0, order[:keep], True)
        return mask
    raise ValueError(
        f'joint selection mode must be "threshold", "top_fraction" or "all", got {mode!r}')


def unusable_share(confidence: Tensor) -> Tensor:
    """The fraction of hands the labeller could not use (confidence 0 on every joint: a
    degenerate pose, or one lifted to the camera, see :class:`PseudoLabeller`), from per-joint
    confidences (B, K). The rounds log it as ``zero_confidence`` and online steps as
    ``pseudo_zero_confidence``; a large one means a wrong camera ``K``.

    Returns:
        Tensor: a 0-dim float64 tensor.
    """
    return (confidence.amax(-1) == 0).double().mean()


def select_pseudo_labels(confidence: Tensor, selection: dict,
                         joint_selection: dict) -> Tuple[Tensor, Tensor]:
    """Both selections of a set of pseudo-labels (B, K), as training uses them.

    Returns:
        tuple: ``keep`` (B,) bool, the samples :func:`select` keeps with ``selection``, and
        ``keep_joints`` (B, K) bool, the joints :func:`select_joints` keeps with
        ``joint_selection`` of those samples.
    """
    keep = select(confidence, **selection)
    return keep, select_joints(confidence, **joint_selection) & keep[:, None]
