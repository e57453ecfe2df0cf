# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Top-down 3D hand estimator: a 2.5D pose head plus an auxiliary mask head."""
from typing import Optional, Tuple

import numpy as np
import torch
from mmpose.models.pose_estimators import TopdownPoseEstimator
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, SampleList
from torch import Tensor

from semihand_mmpose.geometry import apply_affine, lift_25d_to_3d


@MODELS.register_module()
class Hand3DPoseEstimator(TopdownPoseEstimator):
    """MMPose's ``TopdownPoseEstimator`` for 3D hands.

    Differences from the parent:

    - an optional ``mask_head`` trained beside the pose head (skipped for samples without masks);
    - predictions go back to the image through the inverse of the crop's recorded ``crop_matrix``
      (MMPose's mapping uses centre and scale only and drops a rotation);
    - ``pred_instances`` also gets ``keypoints_z_rel`` (K,) and ``keypoints_3d`` (K, 3):
      camera-frame joints in mm lifted with the image's ``K`` and a reference-bone length of
      ``test_cfg['ref_bone_length']`` mm (the absolute scale is not observable from one image; the
      metric's protocol decides how it is fixed).

    Args:
        mask_head (dict, optional): Config of the mask head. Defaults to ``None``.
        **kwargs: See :class:`mmpose.models.TopdownPoseEstimator`.
    """

    def __init__(self, backbone: ConfigType, mask_head: OptConfigType = None, **kwargs) -> None:
        super().__init__(backbone=backbone, **kwargs)
        self.mask_head = MODELS.build(mask_head) if mask_head is not None else None

    @property
    def with_mask_head(self) -> bool:
        return self.mask_head is not None

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Pose losses plus, with a mask head, the mask loss."""
        return self.loss_of_features(self.extract_feat(inputs), data_samples)

    def loss_of_features(self, feats: Tuple[Tensor], data_samples: SampleList) -> dict:
        """:meth:`loss` of features already extracted (e.g. from a batch that also held other
        images)."""
        losses = self.head.loss(feats, data_samples, train_cfg=self.train_cfg)
        if self.with_mask_head:
            losses.update(self.mask_head.loss(feats, data_samples, train_cfg=self.train_cfg))
        return losses

    def add_pred_to_datasample(self, batch_pred_instances, batch_pred_fields,
                               batch_data_samples: SampleList) -> SampleList:
        """Map predictions to the image and lift them to 3D."""
        ref_bone = float(self.test_cfg.get('ref_bone_length', 88.0))
        for pred, sample in zip(batch_pred_instances, batch_data_samples):
            to_image = np.linalg.inv(np.asarray(sample.metainfo['crop_matrix'], np.float64))
            pred.keypoints = apply_affine(pred.keypoints.astype(np.float64),
                                          to_image).astype(np.float32)
            pred.keypoints_visible = pred.keypoint_scores
            K = sample.metainfo.get('K')
            if K is not None:
                pred.keypoints_3d = lift_25d_to_3d(
                    torch.from_numpy(pred.keypoints.astype(np.float64)),
                    torch.from_numpy(pred.keypoints_z_rel.astype(np.float64)),
                    torch.as_tensor(np.asarray(K), dtype=torch.float64),
                    torch.tensor([ref_bone], dtype=torch.float64)).numpy().astype(np.float32)
            gt = sample.gt_instances
            pred.bboxes = gt.bboxes
            pred.bbox_scores = gt.bbox_scores
            sample.pred_instances = pred
        return batch_data_samples

    def predict_mask(self, inputs: Tensor, data_samples: Optional[SampleList] = None) -> Tensor:
        """Mask probabilities (N, 1, h, w) in the input crop."""
        if not self.with_mask_head:
            raise RuntimeError('this estimator has no mask_head')
        return self.mask_head.predict(self.extract_feat(inputs), data_samples)
