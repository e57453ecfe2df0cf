# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Biomechanical correction of hand poses: the nearest feasible hand along each kinematic chain.

SemiHand corrects pseudo-labels by "pose registration" so that bone lengths and joint angles are
anatomically feasible. Here the registration is a closed-form projection down each finger (after
Spurr et al. 2020): read the bone lengths and flexion/abduction angles off the pose (inverse
kinematics), clamp each to its interval, and rebuild the children by forward kinematics. Joints that
already satisfy every limit come back unchanged (to float precision); every output satisfies the
limits. Everything is batched over samples and fingers; the only Python loop runs over the three
joints of a finger chain.
"""
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, Optional, Tuple

import numpy as np
import torch
from mmpose.registry import TASK_UTILS
from torch import Tensor

from . import limits as default_limits
from . import skeleton

#: one thread pool per size, shared by every corrector (created on first use; a forked child,
#: such as a dataloader worker, starts without the parent's, whose threads it does not have)
_POOLS: Dict[int, ThreadPoolExecutor] = {}
os.register_at_fork(after_in_child=_POOLS.clear)


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
            size): a one-off compilation per dtype (10-50 s on 2 CPU cores), then a fused loop
            instead of some 250 small tensor operations: on float32 batches of 4096 on 2 CPU
            cores 448,000 poses/s against 250,000-392,000 eager, in float64 slower than eager
            (126,000 against 217,000; a compiled corrector does not split the batch, see
            ``threads``). Worth it for big float32 pseudo-label rounds, not for a test.
            Defaults to ``False``.
        threads (int, optional): Correct a CPU batch of at least ``min_chunk`` poses per
            thread in this many chunks at once, one Python thread each (eager only). The
            projection is some 250 small tensor operations, too small for PyTorch's intra-op
            parallelism to pay: at batch 4096 on 2 CPU cores, two intra-op threads were no faster
            than one, two chunks 1.3-1.6 times faster. Defaults to ``None``, the intra-op thread
            count (``torch.get_num_threads()``); 1 turns it off.
        min_chunk (int): The fewest poses a chunk gets. Defaults to 512.
    """

    def __init__(self,
                 bone_ratio_limits: Optional[np.ndarray] = None,
                 angle_limits_deg: Optional[np.ndarray] = None,
                 limits_file: Optional[str] = None,
                 correct_lengths: bool = True,
                 correct_angles: bool = True,
                 compile: bool = False,
                 threads: Optional[int] = None,
                 min_chunk: int = 512) -> None:
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
        self._correct = torch.compile(self._correct_eager, dynamic=True) if compile \
            else self._correct_eager
        self.compiled = compile
        self.threads = threads
        self.min_chunk = min_chunk

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

    def _correct_eager(self, joints: Tensor, is_left: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
        dtype = joints.dtype
        x = joints.to(torch.float64 if dtype == torch.float64 else torch.float32)
        scale = skeleton.reference_length(x)
        # one reduction, not an elementwise pass over the batch: a pose's sum is finite exactly
        # when its coordinates are (or so large that they overflow, equally unusable)
        valid = torch.isfinite(x.sum((1, 2))) & (scale > 1e-9) & torch.isfinite(scale)
        # eager code skips the masking when every pose is usable (nearly always; it is four
        # passes over the batch); compiled code masks always, as a data-dependent branch would
        # split the graph
        masked = torch.compiler.is_compiling() or not bool(valid.all())
        if masked:
            given = torch.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
            x = torch.where(valid[:, None, None], x, torch.zeros_like(x))
            scale = torch.where(valid, scale, torch.ones_like(scale))
        # component-first and batch-last (3, 21, B), as the kinematics work, in units of the
        # reference bone; the projection is translation-equivariant, so the poses are not moved
        # to the wrist
        unit = (skeleton.batch_last(x) / scale).contiguous()
        # a left hand is corrected as its mirror image (x -> -x), a right hand: the limits are a
        # right hand's, and in a left hand's own frame abduction (towards the little finger) has
        # the opposite sign, so asymmetric ranges would be applied the wrong way round
        mirror = None
        if is_left is not None:
            mirror = torch.where(is_left.to(x.device).bool(), -1.0, 1.0).to(x.dtype)
            unit[0] *= mirror
        corrected = self._project(unit)
        if mirror is not None:
            corrected[0] *= mirror
        # contiguous: a reduction over the strided last axis (the norm below) or over the outer,
        # component axis runs ten times slower
        out = (skeleton.batch_last(corrected) * scale[:, None, None]).contiguous()
        displacement = (out - x).norm(dim=-1) / scale[:, None]
        if masked:
            out = torch.where(valid[:, None, None], out, given)
            displacement = torch.where(valid[:, None], displacement,
                                       torch.full_like(displacement, float('inf')))
        return out.to(dtype), displacement.to(dtype)

    def _project(self, x: Tensor) -> Tensor:
        """Chain projection of right hands, component-first and batch-last (3, 21, B), in units
        of the reference bone; returns the same layout."""
        normal = skeleton.palm_normal_of(x)[:, None]  # (3, 1, B)
        chains = skeleton.chains_of(x, normal)
        root_bones, lengths, flex, abd = chains.root_bones, chains.lengths, chains.flex, chains.abd
        frame = chains.frame
        # per finger: bone 0 is the root bone, bones 1-3 the phalanges (skeleton.BONES order);
        # limits are laid out (joint, finger, 1) to broadcast against (joint, finger, B)
        per_finger = self.bone_limits.to(x).view(5, 4, 2)
        if self.correct_lengths:
            root_len = skeleton.dot3(root_bones, root_bones).sqrt()
            clamped = root_len.clamp(per_finger[:, :1, 0], per_finger[:, :1, 1])
            root_bones = root_bones * (clamped / root_len.clamp_min(1e-12))
            lo, hi = (per_finger[:, 1:, i].T[..., None] for i in (0, 1))
            lengths = torch.maximum(torch.minimum(lengths, hi), lo)
            # the root bones moved: rebuild their frames around the same palm normal
            frame = skeleton.root_frame_columns(root_bones, normal)
        if self.correct_angles:
            a = self.angle_limits.to(x).permute(1, 0, 2)[:, :, None]  # (3, 5, 1, 4)
            flex = torch.maximum(torch.minimum(flex, a[..., 1]), a[..., 0])
            abd = torch.maximum(torch.minimum(abd, a[..., 3]), a[..., 2])
        chains = skeleton.Chains(root_bones, frame, lengths, flex, abd)
        return skeleton.joints_of(x[:, :1], chains)

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
