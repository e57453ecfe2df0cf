# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Predictions drawn on their images: one column per hand, one row per model, the ground truth in
every cell, so that two models' skeletons on the same hand can be told apart at a glance."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from matplotlib.figure import Figure

from semihand_mmpose.biomech.skeleton import BONES

# one colour per finger (thumb to little), the wrist's bones in the thumb's
_FINGER_COLOURS = ('tab:red', 'tab:orange', 'tab:green', 'tab:blue', 'tab:purple')


def crop_box(points: np.ndarray, image_shape: Sequence[int], margin: float = 0.35) -> tuple:
    """A square box (x0, y0, x1, y1) around ``points`` (K, 2), ``margin`` of its side added on
    every side and clipped to the image, so each cell shows the hand rather than the frame."""
    lo, hi = points.min(0), points.max(0)
    centre, side = (lo + hi) / 2, float((hi - lo).max()) * (1 + 2 * margin)
    side = max(side, 8.0)
    h, w = image_shape[:2]
    x0, y0 = np.clip(centre - side / 2, 0, [w, h])
    x1, y1 = np.clip(centre + side / 2, 0, [w, h])
    return int(x0), int(y0), int(np.ceil(x1)), int(np.ceil(y1))


def _draw_skeleton(ax, uv: np.ndarray, colour_by_finger: bool,
                   valid: Optional[np.ndarray] = None, **style) -> None:
    for parent, child in BONES:
        if valid is not None and not (valid[parent] and valid[child]):
            continue
        colour = _FINGER_COLOURS[(child - 1) // 4] if colour_by_finger else style['color']
        ax.plot(uv[[parent, child], 0], uv[[parent, child], 1], **dict(style, color=colour))


def plot_predictions(images: List[np.ndarray], gt2d: np.ndarray, preds: Dict[str, np.ndarray],
                     captions: Dict[str, List[str]], out: str, titles: Sequence[str] = (),
                     gt_valid: Optional[np.ndarray] = None) -> None:
    """A grid of hands (columns) by models (rows).

    Every cell shows the hand's image, cropped around its ground-truth keypoints, the ground truth
    as a broad white skeleton, and over it the model's prediction, coloured by finger. A hand
    labelled in part (Dexter+Object's fingertips) shows its labelled joints as white dots and
    the bones between two labelled joints; its crop holds the models' predictions too, so the
    whole predicted hand is seen.

    Args:
        images (list): The hands' images, RGB uint8 (H, W, 3), in image pixels.
        gt2d (np.ndarray): Ground-truth keypoints (N, 21, 2), image pixels.
        preds (dict): model name -> predicted keypoints (N, 21, 2), image pixels; one row each.
        captions (dict): model name -> one caption per hand (its errors, say).
        out (str): The image file to write.
        titles (Sequence[str]): One title per hand (column), optional.
        gt_valid (np.ndarray, optional): The labelled joints (N, 21), bool; all of them if None.
    """
    n, rows = len(images), len(preds)
    if n == 0 or rows == 0:
        raise ValueError('plot_predictions needs at least one hand and one model')
    if gt2d.shape[0] != n or any(p.shape != gt2d.shape for p in preds.values()):
        raise ValueError(f'{n} images, ground truth {gt2d.shape} and predictions '
                         f'{[p.shape for p in preds.values()]} must describe the same hands')
    if gt_valid is None:
        gt_valid = np.ones(gt2d.shape[:2], bool)
    if gt_valid.shape != gt2d.shape[:2] or not gt_valid.any(1).all():
        raise ValueError(f'gt_valid {gt_valid.shape} must flag at least one labelled joint of each '
                         f'hand in ground truth {gt2d.shape}')
    fig = Figure(figsize=(1.9 * n, 2.05 * rows))
    axes = fig.subplots(rows, n, squeeze=False)
    for col in range(n):
        valid = gt_valid[col]
        shown = gt2d[col][valid]
        if not valid.all():
            shown = np.concatenate([shown] + [uv[col] for uv in preds.values()])
        x0, y0, x1, y1 = crop_box(shown, images[col].shape)
        for row, (name, uv) in enumerate(preds.items()):
            ax = axes[row, col]
            ax.imshow(images[col])
            _draw_skeleton(ax, gt2d[col], False, valid, color='white', linewidth=2.4, alpha=0.85)
            if not valid.all():
                ax.scatter(gt2d[col, valid, 0], gt2d[col, valid, 1], s=22, c='white',
                           edgecolors='black', linewidths=0.5, zorder=3)
            _draw_skeleton(ax, uv[col], True, linewidth=1.3)
            ax.scatter(uv[col, :, 0], uv[col, :, 1], s=4, c='black', zorder=3)
            ax.set_xlim(x0, x1)
            ax.set_ylim(y1, y0)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(captions[name][col], fontsize=7, labelpad=2)
            if col == 0:
                ax.set_ylabel(name, fontsize=9)
            if row == 0 and titles:
                ax.set_title(titles[col], fontsize=7)
    fig.tight_layout(pad=0.4)
    fig.savefig(out, dpi=120)


def plot_image_predictions(image: np.ndarray, keypoints: np.ndarray, out: str,
                           keypoints_3d: Optional[np.ndarray] = None) -> None:
    """One image's predicted hands: their 2D skeletons over the image and, with
    ``keypoints_3d``, each hand's root-relative 3D skeleton beside it.

    Args:
        image (np.ndarray): The image, RGB uint8 (H, W, 3).
        keypoints (np.ndarray): Each hand's keypoints (N, 21, 2), image pixels.
        out (str): The image file to write.
        keypoints_3d (np.ndarray, optional): Each hand's joints (N, 21, 3) in the camera frame
            (mm); drawn relative to the wrist, x right, y down, z away from the camera.
    """
    keypoints = np.asarray(keypoints, dtype=np.float64).reshape(-1, 21, 2)
    n = len(keypoints)
    if keypoints_3d is not None and np.asarray(keypoints_3d).shape != (n, 21, 3):
        raise ValueError(f'keypoints_3d {np.asarray(keypoints_3d).shape} must be (N, 21, 3) for '
                         f'keypoints {keypoints.shape}')
    panels = 1 + (n if keypoints_3d is not None else 0)
    fig = Figure(figsize=(3.6 * panels, 3.9))
    ax = fig.add_subplot(1, panels, 1)
    ax.imshow(image)
    for uv in keypoints:
        _draw_skeleton(ax, uv, True, linewidth=1.6)
        ax.scatter(uv[:, 0], uv[:, 1], s=6, c='black', zorder=3)
    ax.set_axis_off()
    for i in range(panels - 1):
        joints = np.asarray(keypoints_3d[i], dtype=np.float64)
        joints = joints - joints[0]
        ax3 = fig.add_subplot(1, panels, i + 2, projection='3d')
        for parent, child in BONES:
            ax3.plot(*joints[[parent, child]].T, color=_FINGER_COLOURS[(child - 1) // 4])
        # one scale on every axis, so bone lengths read true
        half = float(np.ptp(joints, axis=0).max()) / 2 + 5.0
        mid = (joints.max(0) + joints.min(0)) / 2
        ax3.set_xlim(mid[0] - half, mid[0] + half)
        ax3.set_ylim(mid[1] - half, mid[1] + half)
        ax3.set_zlim(mid[2] - half, mid[2] + half)
        ax3.set_box_aspect((1, 1, 1))
        # image axes: x right, y down; the camera looks along +z
        ax3.view_init(elev=-70, azim=-90)
        ax3.tick_params(labelsize=6)
        ax3.text2D(0.5, -0.02, f'hand {i}: mm from the wrist (x right, y down, z away)',
                   transform=ax3.transAxes, ha='center', va='top', fontsize=7)
    fig.tight_layout(pad=0.4)
    fig.subplots_adjust(bottom=0.1)
    fig.savefig(out, dpi=120)
