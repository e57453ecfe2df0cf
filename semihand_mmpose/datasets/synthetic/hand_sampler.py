# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Sample 3D hands: shape, articulation, global pose and camera.

A hand is the template of :mod:`semihand_mmpose.biomech.limits` scaled and jittered, articulated by
angles drawn inside the anatomical limits (so every sample is feasible for the corrector), rotated,
and placed in front of a pinhole camera so that it fills a chosen part of the image.
"""
from dataclasses import dataclass
from typing import List, Tuple

import numpy as np
import torch

from semihand_mmpose.biomech import limits, skeleton


@dataclass(frozen=True)
class PoseDistribution:
    """What a domain's hands look like.

    Args:
        curl (tuple): Range of the per-hand grasp level in [0, 1]; 0 is an open hand, 1 a fist.
        curl_jitter (float): Standard deviation of each finger's curl around the hand's.
        abduction (float): Fraction of the abduction range used.
        yaw (tuple): Range (deg) of rotation about the hand's distal axis; 0 shows the palm,
            180 the back of the hand.
        pitch (tuple): Range (deg) of tilt towards or away from the camera.
        roll (tuple): Range (deg) of in-plane rotation.
        scale (tuple): Range of the hand's overall size factor.
        extent_px (tuple): Range of the hand's projected size, as a fraction of the image side.
        focal (tuple): Range of the focal length, as a fraction of the image side.
        offset (float): Largest shift of the hand's centre from the image centre, as a fraction of
            the image side.
    """
    curl: Tuple[float, float] = (0.0, 0.6)
    curl_jitter: float = 0.1
    abduction: float = 0.5
    yaw: Tuple[float, float] = (-45.0, 45.0)
    pitch: Tuple[float, float] = (-40.0, 40.0)
    roll: Tuple[float, float] = (-60.0, 60.0)
    scale: Tuple[float, float] = (0.9, 1.1)
    extent_px: Tuple[float, float] = (0.55, 0.75)
    focal: Tuple[float, float] = (1.1, 1.5)
    offset: float = 0.06


def _rotation(axis: int, degrees: float) -> np.ndarray:
    a = np.deg2rad(degrees)
    c, s = np.cos(a), np.sin(a)
    i, j = [k for k in range(3) if k != axis]
    r = np.eye(3)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


#: Hand frame (x distal, y towards the little finger, z out of the palm) to camera frame (x right,
#: y down, z forward) for a right hand that shows its palm with the fingers up.
PALM_TO_CAMERA = np.array([[0., -1., 0.], [-1., 0., 0.], [0., 0., -1.]])


def sample_hand_parameters(rng: np.random.Generator, dist: PoseDistribution) -> dict:
    """A right hand's shape and articulation (numpy), for :func:`build_hands`.

    Args:
        rng (np.random.Generator): The random source.
        dist (PoseDistribution): The domain's distribution.

    Returns:
        dict: ``roots`` (5, 3) mm, ``phalanges`` (5, 3) mm, ``flex`` and ``abd`` (5, 3) radians.
    """
    scale = rng.uniform(*dist.scale)
    roots = limits.TEMPLATE_ROOTS_MM * scale * rng.normal(1.0, 0.03, (5, 1))
    phalanges = limits.TEMPLATE_PHALANGES_MM * scale * rng.normal(1.0, 0.04, (5, 3))
    lim = limits.angle_limits_rad()
    curl = np.clip(rng.uniform(*dist.curl) + rng.normal(0.0, dist.curl_jitter, 5), 0.0, 1.0)
    flex_lo, flex_hi = lim[..., 0], lim[..., 1]
    # flexion: from slightly extended (curl 0) to the joint's limit (curl 1), with joint noise
    flex = flex_lo * 0.3 + (flex_hi - flex_lo * 0.3) * curl[:, None] * rng.uniform(
        0.75, 1.0, (5, 3))
    abd_lo, abd_hi = lim[..., 2], lim[..., 3]
    abd = rng.uniform(abd_lo, abd_hi) * dist.abduction
    flex = np.clip(flex, flex_lo, flex_hi)
    thumb_rest = np.deg2rad(limits.THUMB_REST_DEG)
    flex[0, 0] = np.clip(flex[0, 0] + thumb_rest[0], flex_lo[0, 0], flex_hi[0, 0])
    abd[0, 0] = np.clip(abd[0, 0] + thumb_rest[1], abd_lo[0, 0], abd_hi[0, 0])
    return dict(roots=roots, phalanges=phalanges, flex=flex, abd=abd)


def build_hands(params: List[dict]) -> np.ndarray:
    """Forward kinematics for a list of :func:`sample_hand_parameters` results, in one batch.

    Returns:
        np.ndarray: Joints (B, 21, 3) in mm in each hand's palm frame (wrist at the origin, x
        distal, y towards the little finger, z out of the palm).
    """
    stack = {k: torch.as_tensor(np.stack([p[k] for p in params])) for k in params[0]}
    batch = len(params)
    rest = torch.zeros(batch, 21, 3, dtype=torch.float64)
    rest[:, [c[1] for c in skeleton.FINGER_CHAINS]] = stack['roots']
    normal = torch.tensor([0., 0., 1.], dtype=torch.float64).expand(batch, 3)
    frames = skeleton.root_frames(rest, normal)
    joints = skeleton.forward_kinematics(
        torch.zeros(batch, 3, dtype=torch.float64), stack['roots'], frames, stack['phalanges'],
        stack['flex'], stack['abd'])
    return joints.numpy()


def sample_hand_joints(rng: np.random.Generator, dist: PoseDistribution) -> np.ndarray:
    """One hand's joints (21, 3); see :func:`sample_hand_parameters` and :func:`build_hands`."""
    return build_hands([sample_hand_parameters(rng, dist)])[0]


def sample_camera_pose(rng: np.random.Generator, dist: PoseDistribution, joints: np.ndarray,
                       image_size: int) -> Tuple[np.ndarray, np.ndarray]:
    """Rotate a hand, place it in front of a camera and pick the camera's intrinsics.

    Args:
        rng (np.random.Generator): The random source.
        dist (PoseDistribution): The domain's distribution.
        joints (np.ndarray): Joints (mm) in the palm frame, shape (21, 3).
        image_size (int): Side of the square image in pixels.

    Returns:
        tuple: ``joints_cam`` (21, 3) in mm in the camera frame and ``K`` (3, 3).
    """
    rot = (_rotation(2, rng.uniform(*dist.roll)) @ _rotation(0, rng.uniform(*dist.pitch))
           @ _rotation(1, rng.uniform(*dist.yaw)) @ PALM_TO_CAMERA)
    # yaw turns about the camera's y axis after the palm faces the camera: it reveals the back of
    # the hand at 180 degrees. Roll is in the image plane.
    posed = joints @ rot.T
    centre = 0.5 * (posed.max(0) + posed.min(0))
    posed = posed - centre
    focal = rng.uniform(*dist.focal) * image_size
    principal = image_size / 2.0 + rng.normal(0.0, 0.01 * image_size, 2)
    K = np.array([[focal, 0., principal[0]], [0., focal, principal[1]], [0., 0., 1.]])
    extent_mm = np.ptp(posed[:, :2], axis=0).max()
    depth = focal * extent_mm / (rng.uniform(*dist.extent_px) * image_size)
    target_px = image_size / 2.0 + rng.uniform(-dist.offset, dist.offset, 2) * image_size
    xy = (target_px - principal) / focal * depth
    joints_cam = posed + np.array([xy[0], xy[1], depth])
    return joints_cam, K


def project(points: np.ndarray, K: np.ndarray) -> np.ndarray:
    """Pinhole projection of (N, 3) camera points to (N, 2) pixels."""
    uvw = points @ K.T
    return uvw[:, :2] / uvw[:, 2:3]
