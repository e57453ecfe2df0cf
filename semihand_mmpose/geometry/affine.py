# Copyright (c) semihand_mmpose authors. All rights reserved.
"""2D affine maps as 3x3 matrices, so views can be composed, inverted and applied exactly.

A crop is ``x_crop = M @ x_image`` in homogeneous pixel coordinates. Composing two augmentations is
a matrix product, going back is the inverse, and the crop's intrinsics are ``M @ K``. MMPose's
``get_warp_matrix`` returns the same kind of 2x3 map; here the third row is kept.
"""
from typing import Tuple, Union

import numpy as np
import torch

ArrayLike = Union[np.ndarray, torch.Tensor]


def crop_matrix(center: np.ndarray, scale: np.ndarray, rotation_deg: float,
                output_size: Tuple[int, int]) -> np.ndarray:
    """The 3x3 map from image pixels to a crop.

    The box ``center``/``scale`` (w, h in pixels) is rotated by ``rotation_deg`` about its centre
    (counter-clockwise in the image, as MMPose's ``RandomBBoxTransform``) and stretched onto
    ``output_size`` (w, h). Same convention as ``mmpose.structures.bbox.get_warp_matrix`` (pixel
    centres at integers).

    Args:
        center (np.ndarray): Box centre (2,).
        scale (np.ndarray): Box size (2,) in pixels.
        rotation_deg (float): Rotation in degrees.
        output_size (tuple): Crop size ``(w, h)``.

    Returns:
        np.ndarray: A float64 (3, 3) matrix.
    """
    out_w, out_h = output_size
    theta = np.deg2rad(rotation_deg)
    c, s = np.cos(theta), np.sin(theta)
    to_origin = np.array([[1., 0., -center[0]], [0., 1., -center[1]], [0., 0., 1.]])
    # the box turns by +rotation, so its content turns by -rotation in the crop
    rotate = np.array([[c, s, 0.], [-s, c, 0.], [0., 0., 1.]])
    stretch = np.diag([out_w / scale[0], out_h / scale[1], 1.0])
    to_crop = np.array([[1., 0., out_w * 0.5], [0., 1., out_h * 0.5], [0., 0., 1.]])
    return to_crop @ stretch @ rotate @ to_origin


def invert_affine(matrix: ArrayLike) -> ArrayLike:
    """Inverse of (..., 3, 3) affine matrices."""
    if isinstance(matrix, torch.Tensor):
        return torch.linalg.inv(matrix)
    return np.linalg.inv(matrix)


def apply_affine(points: ArrayLike, matrix: ArrayLike) -> ArrayLike:
    """Map (..., N, 2) points through (..., 3, 3) affine matrices."""
    linear = matrix[..., :2, :2]
    offset = matrix[..., :2, 2]
    if isinstance(points, torch.Tensor):
        return points @ linear.transpose(-1, -2) + offset[..., None, :]
    return points @ np.swapaxes(linear, -1, -2) + offset[..., None, :]


def warp_intrinsics(K: ArrayLike, matrix: ArrayLike) -> ArrayLike:
    """The intrinsics of a view made by warping the image with ``matrix``: ``matrix @ K``."""
    return matrix @ K
