# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Biomechanical correction of hand poses: the nearest feasible hand along each kinematic chain.

SemiHand corrects pseudo-labels by "pose registration" so that bone lengths and joint angles are
anatomically feasible. Here the registration is a closed-form projection down each finger (after
Spurr et al. 2020): read the bone lengths and flexion/abduction angles off the pose (inverse
kinematics), clamp each to its interval, and rebuild the children by forward kinematics. Joints that
already satisfy every limit come back unchanged (to float precision); every output satisfies the
limits. Everything is batched over samples and fingers; the only loop runs over the three joints
of a finger chain, and on the CPU it runs in TorchScript (:func:`scripted_correct_poses`).
"""
import logging
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, Optional, Tuple

import numpy as np
import torch
from mmengine.logging import print_log
from mmpose.registry import TASK_UTILS
from torch import Tensor

from . import limits as default_limits
from . import skeleton

#: one thread pool per size, shared by every corrector (created on first use; a forked child,
#: such as a dataloader worker, starts without the parent's, whose threads it does not have)
_POOLS: Dict[int, ThreadPoolExecutor] = {}
os.register_at_fork(after_in_child=_POOLS.clear)
#: :func:`correct_poses` compiled by TorchScript (or ``None``), made on first use
_SCRIPTED: Dict[str, Optional[Callable]] = {}
_SCRIPT_LOCK = threading.Lock()


@TASK_UTILS.register_module()
class BiomechanicalCorrector:
    """Project hand poses onto the set that satisfies bone-length and joint-angle limits.

    Poses are scale-free: bone lengths are measured in units of the reference bone (wrist ->
    middle MCP), so the corrector works on poses in mm, in units of the bone, or on 2.5D poses
    lifted with a unit bone.

    Args:
        bone_ratio_limits (np.ndarray, optional): (20, 2) ``[lo, hi]`` of each bone's length divided
            by the reference bone's. Defaults to :data:`limits.BONE_RATIO_LIMITS`.
        angle_limits_deg (np.ndarray, optional): (5, 3, 4) flexion/abduction ranges in degrees.
            Defaults to :data:`limits.ANGLE_LIMITS_DEG`.
        limits_file (str, optional): A ``.npz`` written by ``tools/biomech/compute_limits.py``; it
            supplies both tables and overrides the two arguments above.
        correct_lengths (bool): Clamp bone lengths. Defaults to ``True``.
        correct_angles (bool): Clamp joint angles. Defaults to ``True``.
        compile (bool): Run the correction through ``torch.compile`` (one graph, dynamic batch
            size, no ``script``, no split into ``threads``): a one-off compilation per dtype
            (7-50 s on 2 CPU cores), then a fused loop instead of some 250 small tensor
            operations. On 2 CPU cores at batch 4096 slower than the default: 138,000 poses/s in
            float64 and 277,000 in float32 against 377,000 and 604,000 scripted and split (in
            float32 it had beaten the Python path, 448,000 against 250,000-392,000). Left for
            accelerators, where it is unmeasured. Defaults to ``False``.
        threads (int, optional): Correct a CPU batch of at least ``min_chunk`` poses per
            thread in this many chunks at once, one thread each (not compiled). The projection
            is some 250 small tensor operations, too small for PyTorch's intra-op parallelism
            to pay: at batch 4096 on 2 CPU cores, two intra-op threads were no faster than one;
            two chunks, scripted, 2.2 times faster (median of six runs: 375,000 against 169,000
            poses/s in float64; run from Python, where the GIL is held between operations, 1.35
            times). Defaults to ``None``, the intra-op thread count
            (``torch.get_num_threads()``); 1 turns it off.
        min_chunk (int): The fewest poses a chunk gets. Defaults to 512.
        script (bool): Run CPU batches through :func:`scripted_correct_poses`: the same
            operations, and the same results to the bit, without Python between them. At batch
            4096 on 2 CPU cores twice as fast as from Python (medians of six runs each, taking
            turns: 375,000 against 179,000 poses/s in float64, 495,000 against 260,000 in
            float32). ``False`` runs them from Python. Defaults to ``True``.
    """

    def __init__(self,
                 bone_ratio_limits: Optional[np.ndarray] = None,
                 angle_limits_deg: Optional[np.ndarray] = None,
                 limits_file: Optional[str] = None,
                 correct_lengths: bool = True,
                 correct_angles: bool = True,
                 compile: bool = False,
                 threads: Optional[int] = None,
                 min_chunk: int = 512,
                 script: bool = True) -> None:
        if limits_file is not None:
            table = default_limits.load_limits(limits_file)
            bone_ratio_limits, angle_limits_deg = table['bone_ratio'], table['angle_deg']
        bone = default_limits.BONE_RATIO_LIMITS if bone_ratio_limits is None else bone_ratio_limits
        angle = default_limits.ANGLE_LIMITS_DEG if angle_limits_deg is None else angle_limits_deg
        self.bone_limits = torch.as_tensor(np.asarray(bone, np.float64))
        self.angle_limits = torch.as_tensor(np.deg2rad(np.asarray(angle, np.float64)))
        if self.bone_limits.shape != (20, 2) or self.angle_limits.shape != (5, 3, 4):
            raise ValueError(
                'bone limits must be (20, 2) and angle limits (5, 3, 4), got '
                f'{tuple(self.bone_limits.shape)} and {tuple(self.angle_limits.shape)}')
        self.correct_lengths = correct_lengths
        self.correct_angles = correct_angles
        self._correct = torch.compile(self._correct_chunk, dynamic=True) if compile \
            else self._correct_chunk
        self.compiled = compile
        self.threads = threads
        self.min_chunk = min_chunk
        self.script = script

    def __call__(self, joints: Tensor, is_left: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Correct a batch of poses.

        Args:
            joints (Tensor): (B, 21, 3), any unit (the limits are ratios). Computed in float64
                for float64 input and in float32 otherwise (network predictions; about 1e-6 of
                the reference bone from the float64 result, and faster).
            is_left (Tensor, optional): (B,) bool; a left hand is corrected as its mirror image
                (x -> -x), a right hand, and mirrored back. Defaults to all right hands.

        Returns:
            tuple: ``corrected`` (B, 21, 3) and ``displacement`` (B, 21), the distance each joint
            moved in units of the input's reference bone. Degenerate inputs have no defined angles:
            a pose with a non-finite coordinate or a zero-length reference bone comes back as it
            was, with non-finite values replaced by 0 and an infinite displacement (so any
            confidence computed from it is 0); a zero-length finger bone is rebuilt at its lower
            length limit along its parent's direction.
        """
        if joints.dim() != 3 or tuple(joints.shape[1:]) != (21, 3):
            raise ValueError(f'the corrector takes poses of shape (B, 21, 3), got '
                             f'{tuple(joints.shape)}')
        chunks = self._num_chunks(joints)
        if chunks == 1:
            return self._correct(joints, is_left)
        pool = _POOLS.get(chunks)
        if pool is None:
            pool = _POOLS.setdefault(chunks, ThreadPoolExecutor(chunks, 'corrector'))
        parts = pool.map(self._correct, joints.chunk(chunks),
                         [None] * chunks if is_left is None else is_left.chunk(chunks))
        corrected, displacement = zip(*parts)
        return torch.cat(corrected), torch.cat(displacement)

    def _num_chunks(self, joints: Tensor) -> int:
        """How many chunks :meth:`__call__` splits ``joints`` into (1: no split)."""
        if self.compiled or joints.device.type != 'cpu':
            return 1
        threads = torch.get_num_threads() if self.threads is None else self.threads
        return max(1, min(threads, len(joints) // self.min_chunk))

    def _correct_chunk(self, joints: Tensor, is_left: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
        """One chunk, scripted on the CPU; in Python with ``script=False``, on an accelerator, and
        under ``compile=True`` (``torch.compile`` traces the Python function)."""
        correct = correct_poses
        if self.script and not self.compiled and joints.device.type == 'cpu':
            correct = scripted_correct_poses() or correct_poses
        return correct(joints, is_left, self.bone_limits, self.angle_limits, self.correct_lengths,
                       self.correct_angles)

    def interval_penalty(self, joints: Tensor) -> Tensor:
        """Training loss ``max(lo - x, 0) + max(x - hi, 0)`` on bone-length ratios, per sample.

        Args:
            joints (Tensor): (B, 21, 3) with gradients.

        Returns:
            Tensor: (B,) summed over bones; 0 for a feasible pose.
        """
        reference = skeleton.reference_length(joints)[:, None].clamp_min(1e-9)
        ratio = skeleton.bone_lengths(joints) / reference
        lim = self.bone_limits.to(ratio)
        return ((lim[:, 0] - ratio).clamp_min(0) + (ratio - lim[:, 1]).clamp_min(0)).sum(-1)


def correct_poses(joints: Tensor, is_left: Optional[Tensor], bone_limits: Tensor,
                  angle_limits: Tensor, correct_lengths: bool = True,
                  correct_angles: bool = True) -> Tuple[Tensor, Tensor]:
    """:meth:`BiomechanicalCorrector.__call__` on one chunk, as a function of the limits (so that
    TorchScript can compile it, see :func:`scripted_correct_poses`).

    Args:
        joints (Tensor): (B, 21, 3), any unit.
        is_left (Tensor, optional): (B,) bool hand sides, or ``None`` for right hands.
        bone_limits (Tensor): (20, 2) bone-length ratio limits.
        angle_limits (Tensor): (5, 3, 4) flexion/abduction limits in radians.
        correct_lengths (bool): Clamp bone lengths. Defaults to ``True``.
        correct_angles (bool): Clamp joint angles. Defaults to ``True``.

    Returns:
        tuple: ``corrected`` (B, 21, 3) and ``displacement`` (B, 21), as the corrector's call.
    """
    dtype = joints.dtype
    x = joints.to(torch.float64 if dtype == torch.float64 else torch.float32)
    scale = skeleton.reference_length(x)
    # one reduction, not an elementwise pass over the batch: a pose's sum is finite exactly
    # when its coordinates are (or so large that they overflow, equally unusable)
    valid = torch.isfinite(x.sum((1, 2))) & (scale > 1e-9) & torch.isfinite(scale)
    # eager code skips the masking when every pose is usable (nearly always; it is four
    # passes over the batch); compiled code masks always, as a data-dependent branch would
    # split the graph
    masked = skeleton.is_compiling() or not bool(valid.all())
    given = x
    if masked:
        given = torch.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
        x = torch.where(valid[:, None, None], x, torch.zeros_like(x))
        scale = torch.where(valid, scale, torch.ones_like(scale))
    # component-first and batch-last (3, 21, B), as the kinematics work, in units of the
    # reference bone; the projection is translation-equivariant, so the poses are not moved
    # to the wrist. Stored joint-major, (21, 3, B): from (B, 21, 3) that is the two-dimensional
    # transpose (B, 63) -> (63, B), which PyTorch copies in cache-sized blocks
    batch = x.shape[0]
    unit = (x.reshape(batch, 63).t().contiguous() / scale).view(21, 3, batch).transpose(0, 1)
    # a left hand is corrected as its mirror image (x -> -x), a right hand: the limits are a
    # right hand's, and in a left hand's own frame abduction (towards the little finger) has
    # the opposite sign, so asymmetric ranges would be applied the wrong way round
    mirror: Optional[Tensor] = None
    if is_left is not None:
        mirror = 1.0 - 2.0 * (is_left != 0).to(x)
        unit[0] *= mirror
    corrected = project_right_hands(unit, bone_limits, angle_limits, correct_lengths,
                                    correct_angles)
    # how far each joint moved, in units of the reference bone (a mirror image moves as far)
    moved = corrected - unit
    squared = skeleton.dot3(moved, moved)
    if squared.requires_grad:
        # sqrt's gradient at 0, a joint that did not move, is infinite (vector_norm's is 0,
        # but over the outer, component axis it runs forty times slower)
        moving = squared > 0
        squared = torch.where(moving, squared, torch.ones_like(squared))
        displacement = torch.where(moving, squared.sqrt(), torch.zeros_like(squared))
    else:
        displacement = squared.sqrt()
    displacement = displacement.t().contiguous()
    if mirror is not None:
        corrected[0] *= mirror
    # back to (B, 21, 3) through the joint-major storage of skeleton.joints_of, (63, B), and
    # again one two-dimensional transpose: a general permute of (3, 21, B) is 2.4 times slower
    out = (corrected.transpose(0, 1).reshape(63, batch) * scale).t().contiguous()
    out = out.view(batch, 21, 3)
    if masked:
        out = torch.where(valid[:, None, None], out, given)
        displacement = torch.where(valid[:, None], displacement,
                                   torch.full_like(displacement, float('inf')))
    return out.to(dtype), displacement.to(dtype)


def project_right_hands(x: Tensor, bone_limits: Tensor, angle_limits: Tensor,
                        correct_lengths: bool = True, correct_angles: bool = True) -> Tensor:
    """Chain projection of right hands, component-first and batch-last (3, 21, B), in units of
    the reference bone; returns the same layout."""
    normal = skeleton.palm_normal_of(x)[:, None]  # (3, 1, B)
    chains = skeleton.chains_of(x, normal)
    root_bones, lengths, flex, abd = chains.root_bones, chains.lengths, chains.flex, chains.abd
    frame = chains.frame
    # per finger: bone 0 is the root bone, bones 1-3 the phalanges (skeleton.BONES order);
    # limits are laid out (joint, finger, 1) to broadcast against (joint, finger, B)
    per_finger = bone_limits.to(x).view(5, 4, 2)
    if correct_lengths:
        root_len = skeleton.dot3(root_bones, root_bones).sqrt()
        clamped = root_len.clamp(per_finger[:, :1, 0], per_finger[:, :1, 1])
        root_bones = root_bones * (clamped / root_len.clamp_min(1e-12))
        lo = per_finger[:, 1:, 0].T[..., None]
        hi = per_finger[:, 1:, 1].T[..., None]
        lengths = torch.maximum(torch.minimum(lengths, hi), lo)
        # the root bones moved: rebuild their frames around the same palm normal
        frame = skeleton.root_frame_columns(root_bones, normal)
    if correct_angles:
        a = angle_limits.to(x).permute(1, 0, 2)[:, :, None]  # (3, 5, 1, 4)
        flex = torch.maximum(torch.minimum(flex, a[..., 1]), a[..., 0])
        abd = torch.maximum(torch.minimum(abd, a[..., 3]), a[..., 2])
    chains = skeleton.Chains(root_bones, frame, lengths, flex, abd)
    return skeleton.joints_of(x[:, :1], chains)


def scripted_correct_poses() -> Optional[Callable]:
    """:func:`correct_poses` compiled by TorchScript, once per process (in 0.1-0.2 s); ``None``
    where TorchScript cannot compile it, and the corrector then runs it in Python.

    Why: the correction is some 250 small tensor operations, and run from Python each of them
    pays the interpreter's dispatch and holds the GIL between kernels, so the chunk threads of a
    batch (``threads``) wait for each other. TorchScript's interpreter runs the same operations,
    with the same kernels and so the same results to the bit, without the GIL: at batch 4096 on
    2 CPU cores float64 correction ran twice as fast. ``torch.compile`` (``compile=True``)
    generates fused code instead, but compiles for 7-50 s per dtype and was slower on the CPU.
    TorchScript is deprecated (its notice is silenced here); if a release drops it, this returns
    ``None`` and the corrector keeps working, at the Python speed.
    """
    with _SCRIPT_LOCK:
        if 'correct_poses' not in _SCRIPTED:
            try:
                with warnings.catch_warnings():
                    warnings.filterwarnings('ignore', message='.*torch.jit.script.*deprecated')
                    _SCRIPTED['correct_poses'] = torch.jit.script(correct_poses)
            except Exception as error:  # TorchScript missing, or unable to compile these
                print_log(f'TorchScript could not compile the biomechanical corrector ({error!r});'
                          ' it runs in Python instead', logger='current', level=logging.WARNING)
                _SCRIPTED['correct_poses'] = None
        return _SCRIPTED['correct_poses']
