# Copyright (c) semihand_mmpose authors. All rights reserved.
"""The 21-joint hand skeleton and its joint-angle parameterisation.

One definition serves the synthetic generator (forward kinematics from sampled angles) and the
biomechanical corrector (inverse kinematics, clamp, forward kinematics again), so that "feasible"
means the same thing to both.

Joint order (canonical, as MMPose's COCO-WholeBody-Hand and FreiHAND): 0 wrist, then thumb
(1 CMC, 2 MCP, 3 IP, 4 tip), index (5 MCP, 6 PIP, 7 DIP, 8 tip), middle (9-12), ring (13-16),
little (17-20), each finger base to tip.

Angles. Each finger is a chain ``wrist -> j1 -> j2 -> j3 -> j4``. The root bone ``wrist -> j1`` gets
a frame from the palm: ``e1`` along the bone, ``e3`` the palm normal made orthogonal to ``e1`` and
``e2 = e3 x e1``. A child bone's direction, written in its parent's frame as ``c``, is
``(cos(flex) cos(abd), sin(abd), sin(flex) cos(abd))``: flexion is the rotation towards the palm
(``+e3``), abduction the sideways one. The child's frame is the parent's rotated by
``Ry(-flex) @ Rz(abd)``, so frames travel down the finger without a twist degree of freedom and the
angles stay well defined past 90 degrees of flexion.
"""
from typing import Tuple

import torch
from torch import Tensor

NUM_JOINTS = 21
ROOT_INDEX = 0
#: the reference bone (wrist -> middle MCP) whose length is the unit of ``z_rel`` and of the corrector
REF_BONE = (0, 9)

FINGER_NAMES = ('thumb', 'index', 'middle', 'ring', 'little')
#: per finger, its joints from the wrist to the tip
FINGER_CHAINS = tuple(
    (0, 1 + 4 * f, 2 + 4 * f, 3 + 4 * f, 4 + 4 * f) for f in range(5))

KEYPOINT_NAMES = (
    'wrist',
    'thumb1', 'thumb2', 'thumb3', 'thumb4',
    'forefinger1', 'forefinger2', 'forefinger3', 'forefinger4',
    'middle_finger1', 'middle_finger2', 'middle_finger3', 'middle_finger4',
    'ring_finger1', 'ring_finger2', 'ring_finger3', 'ring_finger4',
    'pinky_finger1', 'pinky_finger2', 'pinky_finger3', 'pinky_finger4',
)

#: parent of every joint (-1 for the wrist)
PARENTS = (-1, 0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11, 0, 13, 14, 15, 0, 17, 18, 19)
#: the 20 bones as (parent, child); bone ``i`` ends at joint ``i + 1``
BONES = tuple((PARENTS[j], j) for j in range(1, NUM_JOINTS))
#: the 15 articulated joints (j1, j2, j3 of each finger), each with a (flexion, abduction) pair;
#: angle ``a`` sets the direction of the bone that starts at ``ANGLE_JOINTS[a]``
ANGLE_JOINTS = tuple(chain[k] for chain in FINGER_CHAINS for k in (1, 2, 3))
FINGERTIPS = (4, 8, 12, 16, 20)


def palm_normal(joints: Tensor, is_left: Tensor = None) -> Tensor:
    """The unit normal of the palm plane, pointing out of the palm.

    Built from the wrist, the index MCP and the little MCP as ``(index - wrist) x (little - wrist)``,
    which points out of the palm of a right hand. A left hand is the mirror image of a right one, so
    the cross product flips and is flipped back.

    Args:
        joints (Tensor): Joints in shape (..., 21, 3).
        is_left (Tensor, optional): Bool in shape (...). Defaults to all right hands.

    Returns:
        Tensor: Normals in shape (..., 3).
    """
    wrist, index, little = joints[..., 0, :], joints[..., 5, :], joints[..., 17, :]
    n = torch.cross(index - wrist, little - wrist, dim=-1)
    if is_left is not None:
        n = torch.where(is_left[..., None], -n, n)
    return n / n.norm(dim=-1, keepdim=True).clamp_min(1e-8)


def root_frames(joints: Tensor, normal: Tensor) -> Tensor:
    """The frame of each finger's root bone (wrist -> j1).

    Args:
        joints (Tensor): Joints in shape (..., 21, 3).
        normal (Tensor): Palm normals in shape (..., 3).

    Returns:
        Tensor: Rotation matrices in shape (..., 5, 3, 3), columns ``e1, e2, e3``.
    """
    j1 = joints[..., [chain[1] for chain in FINGER_CHAINS], :]
    e1 = j1 - joints[..., :1, :]
    e1 = e1 / e1.norm(dim=-1, keepdim=True).clamp_min(1e-8)
    n = normal[..., None, :].expand_as(e1)
    e3 = n - (n * e1).sum(-1, keepdim=True) * e1
    # a degenerate palm (normal zero or along the bone) still gets a frame: any unit vector
    # orthogonal to the bone, so the angles are defined and nothing becomes NaN
    axis = torch.zeros_like(e1)
    axis[..., 0] = (e1[..., 0].abs() < 0.9).to(e1.dtype)
    axis[..., 1] = 1.0 - axis[..., 0]
    fallback = axis - (axis * e1).sum(-1, keepdim=True) * e1
    length = e3.norm(dim=-1, keepdim=True)
    e3 = torch.where(length > 1e-6, e3 / length.clamp_min(1e-12),
                     fallback / fallback.norm(dim=-1, keepdim=True).clamp_min(1e-12))
    e2 = torch.cross(e3, e1, dim=-1)
    return torch.stack([e1, e2, e3], dim=-1)


def local_rotation(flex: Tensor, abd: Tensor) -> Tensor:
    """``Ry(-flex) @ Rz(abd)``: the rotation from a parent bone's frame to its child's.

    Args:
        flex (Tensor): Flexion in radians, any shape ``S``.
        abd (Tensor): Abduction in radians, shape ``S``.

    Returns:
        Tensor: Rotations in shape ``S + (3, 3)``; the first column is the child's direction.
    """
    cf, sf, ca, sa = flex.cos(), flex.sin(), abd.cos(), abd.sin()
    zero = torch.zeros_like(flex)
    rows = [
        torch.stack([cf * ca, -cf * sa, -sf], -1),
        torch.stack([sa, ca, zero], -1),
        torch.stack([sf * ca, -sf * sa, cf], -1),
    ]
    return torch.stack(rows, dim=-2)


def direction_to_angles(direction: Tensor) -> Tuple[Tensor, Tensor]:
    """Inverse of the first column of :func:`local_rotation`.

    Args:
        direction (Tensor): Unit directions in the parent's frame, shape (..., 3).

    Returns:
        tuple: ``(flex, abd)`` in radians, each of shape (...).
    """
    abd = torch.asin(direction[..., 1].clamp(-1.0, 1.0))
    flex = torch.atan2(direction[..., 2], direction[..., 0])
    return flex, abd


def forward_kinematics(wrist: Tensor, root_bones: Tensor, frames: Tensor, lengths: Tensor,
                       flex: Tensor, abd: Tensor) -> Tensor:
    """Build the 21 joints from the palm and the finger angles.

    Args:
        wrist (Tensor): Wrist positions, shape (B, 3).
        root_bones (Tensor): Vectors wrist -> j1 of the five fingers, shape (B, 5, 3).
        frames (Tensor): Frames of the root bones (see :func:`root_frames`), shape (B, 5, 3, 3).
        lengths (Tensor): Lengths of the three distal bones of each finger, shape (B, 5, 3).
        flex (Tensor): Flexion at j1, j2, j3 of each finger, radians, shape (B, 5, 3).
        abd (Tensor): Abduction at the same joints, shape (B, 5, 3).

    Returns:
        Tensor: Joints in shape (B, 21, 3).
    """
    batch = wrist.shape[0]
    joints = wrist.new_zeros(batch, NUM_JOINTS, 3)
    joints[:, 0] = wrist
    position = wrist[:, None] + root_bones
    frame = frames
    rotations = local_rotation(flex, abd)
    for k in range(3):
        joint_ids = [chain[k + 1] for chain in FINGER_CHAINS]
        joints[:, joint_ids] = position
        frame = frame @ rotations[:, :, k]
        position = position + lengths[:, :, k, None] * frame[..., 0]
    joints[:, list(FINGERTIPS)] = position
    return joints


def inverse_kinematics(joints: Tensor, is_left: Tensor = None
                       ) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Read the palm, bone lengths and finger angles off a pose.

    :func:`forward_kinematics` applied to the result rebuilds ``joints`` exactly (up to float error)
    whenever no bone has zero length.

    Args:
        joints (Tensor): Joints in shape (B, 21, 3).
        is_left (Tensor, optional): Bool in shape (B,).

    Returns:
        tuple: ``root_bones`` (B, 5, 3), ``frames`` (B, 5, 3, 3), ``lengths`` (B, 5, 3),
        ``flex`` (B, 5, 3), ``abd`` (B, 5, 3).
    """
    normal = palm_normal(joints, is_left)
    frames = root_frames(joints, normal)
    chains = torch.tensor(FINGER_CHAINS, device=joints.device)
    finger_joints = joints[:, chains]  # (B, 5, 5, 3)
    root_bones = finger_joints[:, :, 1] - finger_joints[:, :, 0]
    bones = finger_joints[:, :, 2:] - finger_joints[:, :, 1:-1]  # (B, 5, 3, 3)
    lengths = bones.norm(dim=-1)
    directions = bones / lengths[..., None].clamp_min(1e-8)
    flexes, abds = [], []
    frame = frames
    for k in range(3):
        local = (frame.transpose(-1, -2) @ directions[:, :, k, :, None])[..., 0]
        flex, abd = direction_to_angles(local)
        flexes.append(flex)
        abds.append(abd)
        frame = frame @ local_rotation(flex, abd)
    return root_bones, frames, lengths, torch.stack(flexes, -1), torch.stack(abds, -1)


def bone_lengths(joints: Tensor) -> Tensor:
    """Lengths of the 20 bones, shape (..., 20), in the units of ``joints``."""
    parents = [p for p, _ in BONES]
    children = [c for _, c in BONES]
    return (joints[..., children, :] - joints[..., parents, :]).norm(dim=-1)


def reference_length(joints: Tensor) -> Tensor:
    """Length of the reference bone (wrist -> middle MCP), shape (...)."""
    return (joints[..., REF_BONE[1], :] - joints[..., REF_BONE[0], :]).norm(dim=-1)
