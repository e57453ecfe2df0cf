# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Draw a 3D hand as shaded, tapered capsules plus a palm, with occlusion.

Occlusion is the painter's algorithm over parts (far parts first), which is exact between parts and
approximate inside one; a part-id image drawn alongside the colours gives the hand mask (the union
of the parts' visible pixels) and each joint's visibility (a joint is visible when the part on top
at its pixel is one the joint belongs to). cv2's fixed-point drawing keeps sub-pixel positions.
"""
from typing import List, Sequence, Tuple

import cv2
import numpy as np

_SHIFT = 4
_ONE = 1 << _SHIFT

#: Wrist and knuckle outline of the palm (joint ids), plus two points beside the wrist added in
#: :func:`palm_outline`.
_PALM_JOINTS = (0, 1, 5, 9, 13, 17)

#: The drawn bones: (parent, child, radius at parent, radius at child), radii in mm.
CAPSULES: Tuple[Tuple[int, int, float, float], ...] = (
    (0, 1, 13.0, 11.0), (1, 2, 11.0, 9.5), (2, 3, 9.5, 8.5), (3, 4, 8.5, 7.5),
    (5, 6, 9.5, 8.5), (6, 7, 8.5, 7.5), (7, 8, 7.5, 6.5),
    (9, 10, 10.0, 9.0), (10, 11, 9.0, 8.0), (11, 12, 8.0, 7.0),
    (13, 14, 9.5, 8.5), (14, 15, 8.5, 7.5), (15, 16, 7.5, 6.5),
    (17, 18, 8.5, 7.5), (18, 19, 7.5, 6.5), (19, 20, 6.5, 5.5),
)
PALM_PART = len(CAPSULES)  # part index of the palm; capsules are 0 .. 15
_CAPSULE_ENDS = np.array([c[:2] for c in CAPSULES])
_CAPSULE_RADII = np.array([c[2:] for c in CAPSULES])


def _joint_parts() -> List[set]:
    """For each joint, the parts it belongs to (id-image values, 1-based)."""
    parts = [set() for _ in range(21)]
    for i, (a, b, _, _) in enumerate(CAPSULES):
        parts[a].add(i + 1)
        parts[b].add(i + 1)
    for j in _PALM_JOINTS:
        parts[j].add(PALM_PART + 1)
    return parts


JOINT_PARTS = _joint_parts()


def palm_outline(joints: np.ndarray) -> np.ndarray:
    """3D outline of the palm: the knuckles, the thumb's base and both sides of the wrist."""
    wrist, index, little = joints[0], joints[5], joints[17]
    across = little - index
    across = across / max(np.linalg.norm(across), 1e-6)
    sides = [wrist + 22.0 * across, wrist - 14.0 * across]
    return np.concatenate([joints[list(_PALM_JOINTS)], np.stack(sides)], axis=0)


def _fixed(points: np.ndarray) -> np.ndarray:
    return np.round(points * _ONE).astype(np.int32)


def render_hand(image: np.ndarray, joints_cam: np.ndarray, K: np.ndarray,
                skin_bgr: Sequence[float], light: np.ndarray,
                shading: Sequence[float] = (0.72, 0.88, 1.0)) -> Tuple[np.ndarray, np.ndarray]:
    """Draw the hand onto ``image`` in place.

    Args:
        image (np.ndarray): BGR uint8 image (H, W, 3), drawn on in place.
        joints_cam (np.ndarray): Joints (mm) in the camera frame, shape (21, 3).
        K (np.ndarray): Intrinsics (3, 3).
        skin_bgr (Sequence[float]): Base skin colour.
        light (np.ndarray): Unit light direction in the camera frame; parts facing it are brighter.
        shading (Sequence[float]): Brightness of the concentric layers of a capsule, outermost
            first; ``(1, 1, 1)`` is flat.

    Returns:
        tuple: ``part_ids`` (H, W) uint8, 0 for no hand and ``i + 1`` for part ``i``; and ``uv``
        (21, 2), the joints' pixel positions.
    """
    h, w = image.shape[:2]
    part_ids = np.zeros((h, w), np.uint8)
    focal = 0.5 * (K[0, 0] + K[1, 1])
    uv = joints_cam @ K.T
    uv = uv[:, :2] / uv[:, 2:3]
    skin = np.asarray(skin_bgr, np.float64)

    # All capsules and layers at once; the loop below only calls cv2.
    a, b = _CAPSULE_ENDS[:, 0], _CAPSULE_ENDS[:, 1]
    p0, p1 = uv[a], uv[b]
    d = p1 - p0
    length = np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-6)
    normals = np.stack([-d[:, 1], d[:, 0]], 1) / length[:, None]
    r0 = focal * _CAPSULE_RADII[:, 0] / joints_cam[a, 2]
    r1 = focal * _CAPSULE_RADII[:, 1] / joints_cam[b, 2]
    layers = len(shading)
    shrink = 1.0 - 0.55 * np.arange(layers) / max(layers - 1, 1)  # (L,)
    s0 = (r0[None] * shrink[:, None])[..., None] * normals[None]  # (L, C, 2)
    s1 = (r1[None] * shrink[:, None])[..., None] * normals[None]
    polys = _fixed(np.stack([p0 + s0, p1 + s1, p1 - s1, p0 - s0], axis=2))  # (L, C, 4, 2)
    centres = _fixed(np.stack([p0, p1], 1)).tolist()  # (C, 2, 2)
    radii = np.maximum(np.round(np.stack([r0, r1], 1)[None] * shrink[:, None, None] * _ONE),
                       1).astype(int).tolist()  # (L, C, 2)
    axes = joints_cam[b] - joints_cam[a]
    axes /= np.maximum(np.linalg.norm(axes, axis=1, keepdims=True), 1e-6)
    # a cylinder is brightest where its side faces the light: sqrt(1 - (axis . light)^2)
    brightness = 0.55 + 0.45 * np.sqrt(np.clip(1.0 - (axes @ light) ** 2, 0.0, 1.0))
    colours = np.clip(skin[None, None] * brightness[None, :, None] *
                      np.asarray(shading)[:, None, None], 0, 255).tolist()  # (L, C, 3)

    outline = palm_outline(joints_cam) @ K.T
    palm_hull = cv2.convexHull(_fixed(outline[:, :2] / outline[:, 2:3]))
    normal = np.cross(joints_cam[5] - joints_cam[0], joints_cam[17] - joints_cam[0])
    normal /= max(np.linalg.norm(normal), 1e-6)
    palm_colour = np.clip(skin * (0.55 + 0.45 * abs(float(normal @ light))) * shading[-1],
                          0, 255).tolist()

    depth = 0.5 * (joints_cam[a, 2] + joints_cam[b, 2])
    depth = np.append(depth, palm_outline(joints_cam)[:, 2].mean() + 4.0)
    for i in np.argsort(-depth, kind='stable').tolist():
        if i == PALM_PART:
            cv2.fillConvexPoly(image, palm_hull, palm_colour, cv2.LINE_AA, _SHIFT)
            cv2.fillConvexPoly(part_ids, palm_hull, i + 1, cv2.LINE_8, _SHIFT)
            continue
        for layer in range(layers):
            _draw_capsule(image, polys[layer, i], centres[i], radii[layer][i], colours[layer][i],
                          cv2.LINE_AA)
        _draw_capsule(part_ids, polys[0, i], centres[i], radii[0][i], i + 1, cv2.LINE_8)
    return part_ids, uv


def _draw_capsule(img: np.ndarray, poly: np.ndarray, centres: list, radii: list, colour,
                  line_type: int) -> None:
    cv2.fillConvexPoly(img, poly, colour, line_type, _SHIFT)
    cv2.circle(img, centres[0], radii[0], colour, -1, line_type, _SHIFT)
    cv2.circle(img, centres[1], radii[1], colour, -1, line_type, _SHIFT)


def joint_visibility(part_ids: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """1 where a joint is inside the image and on top at its pixel, else 0; shape (21,)."""
    h, w = part_ids.shape
    visible = np.zeros(len(uv), np.float32)
    for j, (u, v) in enumerate(uv):
        x, y = int(np.floor(u)), int(np.floor(v))
        if 0 <= x < w and 0 <= y < h and int(part_ids[y, x]) in JOINT_PARTS[j]:
            visible[j] = 1.0
    return visible

