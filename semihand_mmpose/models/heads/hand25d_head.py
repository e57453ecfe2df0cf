# Copyright (c) semihand_mmpose authors. All rights reserved.
"""2.5D hand head: latent heatmaps and depth maps decoded by soft-argmax (Iqbal et al. 2018)."""
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from mmpose.models.heads import HeatmapHead
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, OptSampleList
from torch import Tensor


@MODELS.register_module()
class Hand25DHead(HeatmapHead):
    """Predict ``(u, v, z_rel)`` per keypoint, differentiably.

    The network part is MMPose's ``HeatmapHead`` (deconvolutions, optional convolutions, a final
    1x1 convolution) with ``2 K`` output channels: ``K`` latent heatmaps and ``K`` depth maps. A
    spatial softmax turns each heatmap into a distribution ``p``; the keypoint is its expectation
    (soft-argmax) and ``z_rel`` the ``p``-weighted mean of the depth map. Both are differentiable,
    so consistency losses can act on decoded poses. Works on the last feature map of any backbone.

    Args:
        in_channels (int): Channels of the backbone's last feature map.
        num_keypoints (int): Number of keypoints ``K``. Defaults to 21.
        input_size (tuple): ``(w, h)`` of the network input, to map heatmap cells to pixels.
        beta (float): Sharpness of the spatial softmax. Defaults to 1.
        loss_coord (dict): Loss on normalised ``(u, v)``. Defaults to weighted L1.
        loss_depth (dict): Loss on ``z_rel``. Defaults to weighted L1.
        **kwargs: Network options of :class:`mmpose.models.heads.HeatmapHead`
            (``deconv_out_channels``, ``deconv_kernel_sizes``, ``conv_out_channels``...).
    """

    def __init__(self,
                 in_channels: int,
                 input_size: Tuple[int, int],
                 num_keypoints: int = 21,
                 beta: float = 1.0,
                 loss_coord: ConfigType = dict(type='L1Loss', use_target_weight=True),
                 loss_depth: ConfigType = dict(type='L1Loss', use_target_weight=True),
                 decoder: OptConfigType = None,
                 **kwargs) -> None:
        if decoder is None:
            decoder = dict(type='Hand25DCoordinate', input_size=input_size)
        super().__init__(in_channels=in_channels, out_channels=2 * num_keypoints,
                         loss=loss_coord, decoder=decoder, **kwargs)
        self.num_keypoints = num_keypoints
        self.input_size = tuple(input_size)
        self.beta = beta
        self.loss_depth_module = MODELS.build(loss_depth)

    def forward(self, feats: Tuple[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
        """Decode the maps.

        Returns:
            tuple: ``coords`` (N, K, 2) normalised to [0, 1] in the input (pixel ``u`` is
            ``coords * w``), ``z_rel`` (N, K) and ``probs`` (N, K, H, W), the heatmap distributions.
        """
        # decoded in float32 under mixed precision too: float16's resolution near 1 (2^-11 of
        # the input) is a tenth of a pixel at 256 px, and the expectations sum H*W products
        maps = super().forward(feats).float()
        heat, depth = maps[:, :self.num_keypoints], maps[:, self.num_keypoints:]
        n, k, h, w = heat.shape
        probs = F.softmax(self.beta * heat.flatten(2), dim=-1).view(n, k, h, w)
        in_w, in_h = self.input_size
        # cell i covers input pixels [i s, (i + 1) s); its centre is pixel (i + 0.5) s - 0.5
        grid = dict(device=maps.device, dtype=maps.dtype)
        xs = ((torch.arange(w, **grid) + 0.5) * (in_w / w) - 0.5) / in_w
        ys = ((torch.arange(h, **grid) + 0.5) * (in_h / h) - 0.5) / in_h
        x = (probs.sum(2) * xs).sum(-1)
        y = (probs.sum(3) * ys).sum(-1)
        z = (probs * depth).flatten(2).sum(-1)
        return torch.stack([x, y], dim=-1), z, probs

    @staticmethod
    def confidence(probs: Tensor) -> Tensor:
        """Probability mass in the best 3x3 window of each heatmap, (N, K) in [0, 1]."""
        return (F.avg_pool2d(probs, 3, 1, 1) * 9.0).flatten(2).amax(-1).clamp(0.0, 1.0)

    def predict(self, feats: Tuple[Tensor], batch_data_samples: OptSampleList,
                test_cfg: ConfigType = {}) -> Sequence[InstanceData]:
        """Keypoints ``(u, v)`` in input pixels, ``keypoint_scores`` and ``keypoints_z_rel``."""
        if test_cfg.get('flip_test', False):
            raise ValueError('Hand25DHead does not support flip_test: a flipped image shows the '
                             'other hand, whose keypoints are not a permutation of this one\'s')
        coords, z_rel, probs = self.forward(feats)
        keypoints, _ = self.decoder.decode(
            (coords.detach().cpu().numpy(), z_rel.detach().cpu().numpy()))
        scores = self.confidence(probs).detach().cpu().numpy()
        return [
            InstanceData(keypoints=kpts[None, :, :2], keypoints_z_rel=kpts[None, :, 2],
                         keypoint_scores=score[None])
            for kpts, score in zip(keypoints.astype(np.float32), scores)
        ]

    def loss(self, feats: Tuple[Tensor], batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        """L1 on normalised ``(u, v)`` and on ``z_rel``, each weighted per joint."""
        coords, z_rel, _ = self.forward(feats)
        labels = [d.gt_instance_labels for d in batch_data_samples]
        target = torch.cat([lab.keypoint_labels for lab in labels]).to(coords)
        weight = torch.cat([lab.keypoint_weights for lab in labels]).to(coords)
        z_target = torch.cat([lab.keypoint_z_rel for lab in labels]).to(coords)
        z_weight = torch.cat([lab.keypoint_z_weights for lab in labels]).to(coords)
        return dict(
            loss_coord=self.loss_module(coords, target, weight),
            loss_depth=self.loss_depth_module(z_rel[..., None], z_target[..., None], z_weight))

    @property
    def default_init_cfg(self):
        return [dict(type='Normal', layer=['Conv2d', 'ConvTranspose2d'], std=0.001),
                dict(type='Constant', layer='BatchNorm2d', val=1)]
