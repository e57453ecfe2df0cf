# Copyright (c) semihand_mmpose authors. All rights reserved.
"""The 2.5D hand representation: normalised pixel position plus scale-free relative depth."""
from typing import Optional, Tuple

import numpy as np
from mmpose.codecs.base import BaseKeypointCodec
from mmpose.registry import KEYPOINT_CODECS

from semihand_mmpose.biomech.skeleton import REF_BONE, ROOT_INDEX


@KEYPOINT_CODECS.register_module()
class Hand25DCoordinate(BaseKeypointCodec):
    """Encode hand keypoints as ``(u / w, v / h)`` in the input crop plus ``z_rel``.

    ``z_rel = (Z_j - Z_root) / |X_ref_child - X_ref_parent|``: depth relative to the root in units
    of the reference bone, which an in-plane crop (rotation, scale, shift) leaves unchanged.
    Decoding is the exact inverse; 3D follows from :func:`semihand_mmpose.geometry.lift_25d_to_3d`.

    Encoded items:
        - keypoint_labels (np.ndarray): (N, K, 2) in [0, 1] inside the crop
        - keypoint_weights (np.ndarray): (N, K), the 2D visibility
        - keypoint_z_rel (np.ndarray): (N, K)
        - keypoint_z_weights (np.ndarray): (N, K), 1 where the 3D joint and the reference bone are
          known

    Args:
        input_size (tuple): ``(w, h)`` of the crop.
        root_index (int): The root joint. Defaults to the wrist.
        ref_bone (tuple): ``(parent, child)`` of the reference bone. Defaults to wrist ->
            middle MCP.
    """

    auxiliary_encode_keys = {'keypoints_3d', 'keypoints_3d_visible'}

    def __init__(self, input_size: Tuple[int, int], root_index: int = ROOT_INDEX,
                 ref_bone: Tuple[int, int] = REF_BONE) -> None:
        super().__init__()
        self.input_size = np.asarray(input_size, dtype=np.float32)
        self.root_index = root_index
        self.ref_bone = tuple(ref_bone)

    def encode(self, keypoints: np.ndarray, keypoints_visible: Optional[np.ndarray] = None,
               keypoints_3d: Optional[np.ndarray] = None,
               keypoints_3d_visible: Optional[np.ndarray] = None) -> dict:
        """Encode keypoints in the crop (N, K, 2) and camera-frame joints (N, K, 3)."""
        if keypoints_visible is None:
            keypoints_visible = np.ones(keypoints.shape[:2], dtype=np.float32)
        labels = keypoints[..., :2] / self.input_size
        inside = np.all((labels >= 0) & (labels <= 1), axis=-1)
        encoded = dict(
            keypoint_labels=labels.astype(np.float32),
            keypoint_weights=(keypoints_visible * inside).astype(np.float32))
        num, k = keypoints.shape[:2]
        if keypoints_3d is None:
            encoded['keypoint_z_rel'] = np.zeros((num, k), np.float32)
            encoded['keypoint_z_weights'] = np.zeros((num, k), np.float32)
            return encoded
        valid = (np.ones((num, k), np.float32) if keypoints_3d_visible is None else
                 keypoints_3d_visible.astype(np.float32))
        parent, child = self.ref_bone
        bone = np.linalg.norm(keypoints_3d[:, child] - keypoints_3d[:, parent], axis=-1)
        known = (valid[:, parent] * valid[:, child] * valid[:, self.root_index] * (bone > 0))
        z_rel = ((keypoints_3d[..., 2] - keypoints_3d[:, self.root_index, None, 2]) /
                 np.where(bone > 0, bone, 1.0)[:, None])
        encoded['keypoint_z_rel'] = (z_rel * known[:, None]).astype(np.float32)
        encoded['keypoint_z_weights'] = (valid * known[:, None]).astype(np.float32)
        return encoded

    def decode(self, encoded: Tuple[np.ndarray, np.ndarray]) -> Tuple[np.ndarray, np.ndarray]:
        """Decode ``(labels (N, K, 2), z_rel (N, K))``.

        Returns:
            tuple: ``keypoints`` (N, K, 3) as ``(u, v, z_rel)`` in crop pixels, and ``scores``
            (N, K) of ones (the head supplies its own confidence).
        """
        labels, z_rel = encoded
        keypoints = np.concatenate([labels * self.input_size, z_rel[..., None]], axis=-1)
        return keypoints, np.ones(keypoints.shape[:2], dtype=np.float32)
