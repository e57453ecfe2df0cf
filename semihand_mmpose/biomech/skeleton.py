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
from typing import List, NamedTuple, Tuple

import torch
from torch import Tensor

NUM_JOINTS = 21
ROOT_INDEX = 0
#: the reference bone (wrist -> middle MCP) whose length is the unit of ``z_rel`` and of the
#: corrector
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
#: the joints that span the palm: the wrist and the four fingers' MCPs (the thumb's first joint
#: moves with the thumb, so it is left out)
PALM_JOINTS = (ROOT_INDEX, ) + tuple(chain[1] for chain in FINGER_CHAINS[1:])


def palm_normal(joints: Tensor, is_left: Tensor = None) -> Tensor:
    """The unit normal of the palm plane, pointing out of the palm.

    Built from the wrist, the index MCP and the little MCP as
    ``(index - wrist) x (little - wrist)``, which points out of the palm of a right hand. A left
    hand is the mirror image of a right one, so the cross product flips and is flipped back.

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
    # j1 of the five fingers are joints 1, 5, 9, 13, 17
    return root_frames_of_bones(joints[..., 1::4, :] - joints[..., :1, :], normal)


def root_frames_of_bones(root_bones: Tensor, normal: Tensor) -> Tensor:
    """:func:`root_frames` from the five root bones (wrist -> j1), shape (..., 5, 3)."""
    columns = root_frame_columns(root_bones.movedim(-1, 0), normal.movedim(-1, 0)[..., None])
    return torch.stack([c.movedim(0, -1) for c in columns], dim=-1)


# The kinematics below hold vectors component-first, shape (3, ...): a dot product is then two
# multiply-adds over contiguous arrays, where a reduction over a trailing axis of size 3 (or a
# batched 3x3 matmul) costs ten times more on the CPU. They also hold the batch last, (3, 21, B)
# joints and (3, 5, B) finger quantities: every operation then runs along contiguous rows of the
# batch, where batch-first (3, B, 5) read the joints with a stride and broadcast the palm's
# (3, B, 1) across fingers in short runs (the corrector ran 1.5 times faster on one thread with
# the batch last). The public functions take and return the usual (..., 3) layout.
# Sums of products are written with ``addcmul`` (``a + b * c`` in one pass): at batch 4096 a pass
# over the batch, with its fresh output buffer, costs more than the arithmetic in it.
def dot3(a: Tensor, b: Tensor) -> Tensor:
    """Dot products of component-first vectors (3, ...)."""
    return torch.addcmul(torch.addcmul(a[0] * b[0], a[1], b[1]), a[2], b[2])


def cross3(a: Tensor, b: Tensor) -> Tensor:
    """Cross products of component-first vectors (3, ...)."""
    return torch.stack([torch.addcmul(a[1] * b[2], a[2], b[1], value=-1),
                        torch.addcmul(a[2] * b[0], a[0], b[2], value=-1),
                        torch.addcmul(a[0] * b[1], a[1], b[0], value=-1)])


def palm_normal_of(x: Tensor) -> Tensor:
    """:func:`palm_normal` of right hands held component-first and batch-last: joints
    (3, 21, B) -> normals (3, B)."""
    wrist, index, little = x[:, 0], x[:, 5], x[:, 17]
    n = cross3(index - wrist, little - wrist)
    return n / dot3(n, n).sqrt().clamp_min(1e-8)


def is_compiling() -> bool:
    """Whether ``torch.compile`` is tracing the caller. ``False`` in TorchScript, which runs the
    corrector by default: it cannot call ``torch.compiler``, and skips the branch that does."""
    if not torch.jit.is_scripting():
        return torch.compiler.is_compiling()
    return False


def root_frame_columns(bones: Tensor, normal: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """Frame columns ``e1, e2, e3`` of root bones given the palm normal, component-first: bones
    (3, 5, B) and normal (3, 1, B) make three (3, 5, B) (any shapes that broadcast)."""
    e1 = bones / dot3(bones, bones).sqrt().clamp_min(1e-8)
    e3 = torch.addcmul(normal, dot3(normal, e1), e1, value=-1)
    length = dot3(e3, e3).sqrt()
    ok = length > 1e-6
    e3 = e3 / length.clamp_min(1e-12)
    # a degenerate palm (normal zero or along the bone) still gets a frame: any unit vector
    # orthogonal to the bone, so the angles are defined and nothing becomes NaN. Eager code skips
    # the fallback when no palm needs it; compiled code always computes it, since a data-dependent
    # branch would split the compiled graph in two (and cost more than the few fused operations)
    if is_compiling() or not bool(ok.all()):
        use_x = (e1[0].abs() < 0.9).to(e1.dtype)
        axis = torch.stack([use_x, 1.0 - use_x, torch.zeros_like(use_x)])
        fallback = axis - dot3(axis, e1) * e1
        e3 = torch.where(ok, e3, fallback / dot3(fallback, fallback).sqrt().clamp_min(1e-12))
    return e1, cross3(e3, e1), e3


def _rotate_frame(e1: Tensor, e2: Tensor, e3: Tensor, flex: Tensor,
                  abd: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """The columns of ``[e1 e2 e3] @ local_rotation(flex, abd)``, written out (component-first)."""
    cf, sf, ca, sa = flex.cos(), flex.sin(), abd.cos(), abd.sin()
    n1 = torch.addcmul(torch.addcmul(sa * e2, cf * ca, e1), sf * ca, e3)
    n2 = torch.addcmul(torch.addcmul(ca * e2, cf * sa, e1, value=-1), sf * sa, e3, value=-1)
    n3 = torch.addcmul(cf * e3, sf, e1, value=-1)
    return n1, n2, n3


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


class Chains(NamedTuple):
    """The five finger chains of a batch of hands, component-first and batch-last (see
    :func:`chains_of`).

    ``root_bones`` (3, 5, B): wrist -> j1 vectors; ``frame``: the root bones' frame columns
    ``(e1, e2, e3)``, each (3, 5, B); ``lengths``, ``flex``, ``abd`` (3 joints, 5, B): per finger,
    the lengths of the three distal bones and the angles at j1, j2, j3.
    """
    root_bones: Tensor
    frame: Tuple[Tensor, Tensor, Tensor]
    lengths: Tensor
    flex: Tensor
    abd: Tensor


def chains_of(x: Tensor, normal: Tensor) -> Chains:
    """Inverse kinematics, component-first and batch-last: joints (3, 21, B) and palm normals
    (3, 1, B). Batch-last, a joint's coordinates over the batch are contiguous, so the bones
    (differences of joints) read and the joints write whole rows."""
    # joints 1..20 are the five chains j1..j4 in order
    chains = x[:, 1:].unflatten(1, (5, 4))  # (3, 5, 4, B)
    root_bones = chains[:, :, 0] - x[:, :1]
    frame = root_frame_columns(root_bones, normal)
    e1, e2, e3 = frame
    lengths: List[Tensor] = []
    flexes: List[Tensor] = []
    abds: List[Tensor] = []
    for k in range(3):
        bone = chains[:, :, k + 1] - chains[:, :, k]
        length = dot3(bone, bone).sqrt()
        d = bone / length.clamp_min(1e-8)
        # direction_to_angles of d in the parent's frame
        abd = torch.asin(dot3(e2, d).clamp(-1.0, 1.0))
        flex = torch.atan2(dot3(e3, d), dot3(e1, d))
        lengths.append(length)
        flexes.append(flex)
        abds.append(abd)
        if k < 2:
            e1, e2, e3 = _rotate_frame(e1, e2, e3, flex, abd)
    return Chains(root_bones, frame, torch.stack(lengths), torch.stack(flexes), torch.stack(abds))


def joints_of(wrist: Tensor, chains: Chains) -> Tensor:
    """Forward kinematics, component-first and batch-last: wrists (3, 1, B) -> joints
    (3, 21, B)."""
    e1, e2, e3 = chains.frame
    position = wrist + chains.root_bones  # (3, 5, B)
    # written into one buffer, (5 fingers, 4 joints) being the canonical order 1..20 after the
    # wrist: stacking and concatenating would be two more passes over the whole batch. The
    # buffer is joint-major, (21, 3, B), returned as its (3, 21, B) view: the corrector turns it
    # into (B, 21, 3) with one two-dimensional transpose, (63, B) -> (B, 63), which PyTorch
    # copies in cache-sized blocks, 2.4 times faster than a general permute. Its length: the
    # wrist and four joints a finger (NUM_JOINTS; TorchScript reads no module globals)
    shape = [1 + 4 * position.shape[1], 3]
    shape.extend(position.shape[2:])
    joints = position.new_empty(shape).transpose(0, 1)
    joints[:, :1] = wrist
    fingers = joints[:, 1:].unflatten(1, (5, 4))
    fingers[:, :, 0] = position
    for k in range(3):
        if k < 2:
            e1, e2, e3 = _rotate_frame(e1, e2, e3, chains.flex[k], chains.abd[k])
        else:  # the last bone needs only its direction
            cf, sf, ca, sa = (chains.flex[k].cos(), chains.flex[k].sin(), chains.abd[k].cos(),
                              chains.abd[k].sin())
            e1 = torch.addcmul(torch.addcmul(sa * e2, cf * ca, e1), sf * ca, e3)
        position = torch.addcmul(position, chains.lengths[k], e1)
        fingers[:, :, k + 1] = position
    return joints


def batch_last(t: Tensor) -> Tensor:
    """(B, N, 3) -> (3, N, B), the layout of the kinematics above (joints, N = 21, and the
    quantities of :class:`Chains`, N = 5), and back (the swap is its own inverse)."""
    return t.permute(2, 1, 0)


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
    chains = Chains(batch_last(root_bones), tuple(batch_last(frames[..., i]) for i in range(3)),
                    *(batch_last(t) for t in (lengths, flex, abd)))
    # contiguous: moved back from batch-last, the joints are strided along their last axis, and
    # reductions over it (norms) run many times slower (the corrector's 316603e)
    return batch_last(joints_of(wrist.T[:, None], chains)).contiguous()


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
    normal = palm_normal(joints, is_left).T[:, None]  # (3, 1, B)
    c = chains_of(batch_last(joints), normal)
    frames = torch.stack([batch_last(e) for e in c.frame], dim=-1)
    return (batch_last(c.root_bones), frames,
            *(batch_last(t) for t in (c.lengths, c.flex, c.abd)))


def bone_lengths(joints: Tensor) -> Tensor:
    """Lengths of the 20 bones, shape (..., 20), in the units of ``joints``."""
    parents = [p for p, _ in BONES]
    children = [c for _, c in BONES]
    return (joints[..., children, :] - joints[..., parents, :]).norm(dim=-1)


def reference_length(joints: Tensor) -> Tensor:
    """Length of the reference bone (wrist -> middle MCP), shape (...)."""
    # REF_BONE written out: TorchScript (the corrector's default) reads no module globals
    return torch.linalg.vector_norm(joints[..., 9, :] - joints[..., 0, :], dim=-1)
