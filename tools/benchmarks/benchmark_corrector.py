# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Speed of the biomechanical corrector against a per-sample least-squares registration.

The baseline solves, for each pose, ``min ||FK(lengths, angles) - x||^2`` over bone lengths and
flexion/abduction angles inside the same limits, with ``scipy.optimize.least_squares`` (bounded
trust region) started from the clamped inverse kinematics: the straightforward per-sample solver.
Prints figures and one JSON line::

    python tools/benchmarks/benchmark_corrector.py --batch 4096 --compile
"""
import argparse
import json
import statistics
import time

import numpy as np
import torch
from scipy.optimize import least_squares

from semihand_mmpose.biomech import BiomechanicalCorrector, skeleton
from semihand_mmpose.datasets.synthetic import hand_sampler


def noisy_poses(n: int, noise: float, seed: int = 0) -> torch.Tensor:
    """Synthetic hands (mm, camera frame) with Gaussian joint noise: many become infeasible."""
    rng = np.random.default_rng(seed)
    dist = hand_sampler.PoseDistribution(curl=(0.0, 1.0))
    params = [hand_sampler.sample_hand_parameters(rng, dist) for _ in range(n)]
    joints = hand_sampler.build_hands(params)
    return torch.as_tensor(joints + rng.normal(0.0, noise, joints.shape))


def least_squares_correct(corrector: BiomechanicalCorrector, joints: torch.Tensor) -> torch.Tensor:
    """The per-sample baseline (float64, one scipy solve per pose)."""
    out = []
    bone = corrector.bone_limits.numpy().reshape(5, 4, 2)
    ang = corrector.angle_limits.numpy()
    for pose in joints.double():
        scale = float(skeleton.reference_length(pose))
        unit = (pose - pose[0]) / scale
        root_bones, frames, lengths, flex, abd = skeleton.inverse_kinematics(unit[None])
        # root bones: the same length clamp as the corrector (their directions are the palm's)
        root_len = root_bones.norm(dim=-1)
        clamped = root_len.clamp(torch.as_tensor(bone[:, 0, 0]), torch.as_tensor(bone[:, 0, 1]))
        root_bones = root_bones * (clamped / root_len)[..., None]
        moved = unit[None].clone()
        moved[:, [c[1] for c in skeleton.FINGER_CHAINS]] = root_bones
        frames = skeleton.root_frames(moved, skeleton.palm_normal(unit[None]))
        lo = np.concatenate([bone[:, 1:, 0].ravel(), ang[..., 0].ravel(), ang[..., 2].ravel()])
        hi = np.concatenate([bone[:, 1:, 1].ravel(), ang[..., 1].ravel(), ang[..., 3].ravel()])
        x0 = np.clip(np.concatenate([lengths.numpy().ravel(), flex.numpy().ravel(),
                                     abd.numpy().ravel()]), lo, hi)
        target = unit.numpy().ravel()

        def rebuild(p):
            """The (21, 3) unit pose of the lengths and angles ``p``."""
            t = torch.as_tensor(p).view(3, 1, 5, 3)
            return skeleton.forward_kinematics(torch.zeros(1, 3, dtype=torch.float64),
                                               root_bones, frames, t[0], t[1], t[2])[0]

        sol = least_squares(lambda p: rebuild(p).numpy().ravel() - target, x0, bounds=(lo, hi),
                            method='trf')
        out.append(rebuild(sol.x) * scale + pose[0])
    return torch.stack(out)


def poses_per_second(corrector, poses: torch.Tensor, repeats: int):
    """Median throughput over ``repeats`` calls on the whole batch (after two warm-up calls,
    which also let the allocator settle), and the last result."""
    for _ in range(2):
        result = corrector(poses)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = corrector(poses)
        times.append(time.perf_counter() - start)
    return len(poses) / statistics.median(times), result


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch', type=int, default=4096)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--baseline-poses', type=int, default=64)
    parser.add_argument('--noise', type=float, default=6.0, help='joint noise in mm')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--compile', action='store_true',
                        help='also time BiomechanicalCorrector(compile=True)')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    corrector = BiomechanicalCorrector()
    poses = noisy_poses(args.batch, args.noise)
    fast, (corrected, displacement) = poses_per_second(corrector, poses, args.repeats)
    changed = float((displacement > 1e-6).any(-1).double().mean())
    # network predictions are float32: the corrector then computes in float32
    fast32, (corrected32, _) = poses_per_second(corrector, poses.float(), args.repeats)
    # the whole batch in one chunk, its operations split by PyTorch's intra-op threads alone
    unsplit, _ = poses_per_second(BiomechanicalCorrector(threads=1), poses, args.repeats)
    # the same operations dispatched from Python instead of TorchScript (script=False)
    python, (corrected_python, _) = poses_per_second(BiomechanicalCorrector(script=False), poses,
                                                     args.repeats)

    sub = poses[:args.baseline_poses]
    start = time.perf_counter()
    reference = least_squares_correct(corrector, sub)
    slow = len(sub) / (time.perf_counter() - start)
    ours = corrected[:len(sub)]
    dist_ours = (ours - sub).norm(dim=-1).mean()
    dist_ref = (reference - sub).norm(dim=-1).mean()
    figures = dict(
        batch=args.batch, threads=args.threads, corrector_poses_per_s=fast,
        corrector_float32_poses_per_s=fast32, corrector_unsplit_poses_per_s=unsplit,
        corrector_python_poses_per_s=python,
        python_max_diff_mm=float((corrected_python - corrected).abs().max()),
        float32_max_diff_mm=float((corrected32.double() - corrected).abs().max()),
        baseline_poses_per_s=slow, speedup=fast / slow, fraction_corrected=changed,
        mean_move_mm_corrector=float(dist_ours), mean_move_mm_least_squares=float(dist_ref),
        mean_gap_to_least_squares_mm=float((ours - reference).norm(dim=-1).mean()))
    if args.compile:
        compiled = BiomechanicalCorrector(compile=True)
        # float64, as the pseudo-labeller lifts and corrects, and float32, as a network predicts
        # (the first call on each dtype compiles the corrector for it)
        for suffix, batch in (('', poses), ('_float32', poses.float())):
            start = time.perf_counter()
            compiled(batch)
            figures[f'compile{suffix}_s'] = time.perf_counter() - start
            figures[f'compiled{suffix}_poses_per_s'], (out, _) = poses_per_second(
                compiled, batch, args.repeats)
            figures[f'compiled{suffix}_max_diff_mm'] = float((out.double() - corrected).abs().max())
    print(f'corrector: {fast:,.0f} poses/s at batch {args.batch} ({args.threads} threads), '
          f'{changed:.0%} of the noisy poses needed a correction')
    print(f'corrector on float32 poses: {fast32:,.0f} poses/s (largest difference to float64 '
          f'{figures["float32_max_diff_mm"]:.1e} mm)')
    print(f'corrector without the split into one chunk per thread (threads=1): {unsplit:,.0f} '
          'poses/s')
    print(f'corrector run from Python instead of TorchScript (script=False): {python:,.0f} '
          f'poses/s (largest difference {figures["python_max_diff_mm"]:.1e} mm)')
    print(f'per-sample least squares: {slow:,.1f} poses/s -> speed-up {fast / slow:,.0f}x')
    print(f'mean joint movement: corrector {dist_ours:.2f} mm, least squares {dist_ref:.2f} mm '
          f'(the least-squares optimum is the closer feasible pose; gap '
          f'{figures["mean_gap_to_least_squares_mm"]:.2f} mm)')
    if args.compile:
        print(f'compiled: {figures["compiled_poses_per_s"]:,.0f} poses/s after a '
              f'{figures["compile_s"]:.0f} s compilation (largest difference to eager '
              f'{figures["compiled_max_diff_mm"]:.1e} mm)')
        print(f'compiled on float32 poses: {figures["compiled_float32_poses_per_s"]:,.0f} poses/s '
              f'after a {figures["compile_float32_s"]:.0f} s compilation (largest difference to '
              f'float64 {figures["compiled_float32_max_diff_mm"]:.1e} mm)')
    print(json.dumps(figures))
    return figures


if __name__ == '__main__':
    main()
