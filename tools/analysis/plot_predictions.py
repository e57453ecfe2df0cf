# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Draw several models' predictions on the same test hands, one row per model.

Reads the prediction dumps of ``tools/test.py --dump`` (one per model, the same test set), picks
hands and draws each model's 2D skeleton over the image, the ground truth in white, each cell
captioned with the hand's 3D error and 2D error over its labelled joints. The 3D error follows
``Hand3DMetric``'s protocol: root-relative, the prediction scaled by the ground-truth reference bone
(RHD, STB, the synthetic domains) by default; for Dexter+Object, whose hands are labelled at the
fingertips only (drawn as white dots), ``--scale none`` with ``--alignment none`` (its 0-100 mm
protocol) or ``--alignment centroid_scale`` (its 20-50 mm one), as ``configs/semihand_do.py``
evaluates it. Which hands (``--pick``):

- ``gain`` (default): where the second model's 3D error is lowest against the first's: what
  adaptation fixed;
- ``loss``: the reverse: what it broke;
- ``spread``: evenly over the first model's ranking, from its best hand to its worst;
- ``worst``: the first model's largest errors, worst first (MMPose's bad-case analysis,
  ``tools/test.py --badcase``, ranks 2D keypoints and does not apply to these hands);
- ``random``: drawn with ``--seed``.

Example::

    python tools/test.py configs/pretrain_synth.py SRC.pth --dump src.pkl
    python tools/test.py configs/semihand_synth_finetune.py SEMI.pth --dump semi.pkl
    python tools/analysis/plot_predictions.py src.pkl semi.pkl --names source-only SemiHand \\
        --group synthetic_target --num 8 --out predictions.png

It prints the hands drawn and their errors, and one JSON line.
"""
import argparse
import json
import os.path as osp
from typing import Dict, List

import mmcv
import numpy as np

from semihand_mmpose.evaluation.prediction_dumps import load_dump, model_errors
from semihand_mmpose.visualization import plot_predictions

PICKS = ('gain', 'loss', 'spread', 'worst', 'random')


def pick_hands(errors: np.ndarray, num: int, how: str, seed: int = 0) -> np.ndarray:
    """Indices of ``num`` hands to draw.

    Args:
        errors (np.ndarray): 3D errors (M, N) of M models on N hands.
        num (int): How many hands (all of them if there are fewer).
        how (str): One of :data:`PICKS` (see the module's docstring).
        seed (int): For ``random``.

    Returns:
        np.ndarray: Hand indices, in the order they are drawn.
    """
    if how not in PICKS:
        raise ValueError(f'--pick must be one of {PICKS}, got {how!r}')
    total = errors.shape[1]
    num = min(num, total)
    if how in ('gain', 'loss'):
        if errors.shape[0] < 2:
            raise ValueError(f'--pick {how} compares the first two models; give two dumps or more')
        gain = errors[0] - errors[1]
        order = np.argsort(-gain if how == 'gain' else gain, kind='stable')
        return order[:num]
    if how == 'spread':
        order = np.argsort(errors[0], kind='stable')
        return order[np.round(np.linspace(0, total - 1, num)).astype(int)]
    if how == 'worst':
        return np.argsort(-errors[0], kind='stable')[:num]
    return np.sort(np.random.default_rng(seed).choice(total, num, replace=False))


def _load_image(path: str) -> np.ndarray:
    if path is None or not osp.isfile(path):
        raise FileNotFoundError(f'image {path!r} of the dump is not there: run this from the '
                                'directory tools/test.py ran in, with its data in place')
    return mmcv.imread(path, channel_order='rgb')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('dumps', nargs='+', help='tools/test.py --dump files, one per model')
    parser.add_argument('--names', nargs='*', help='one name per dump (default: the file names)')
    parser.add_argument('--group', default=None,
                        help='the test set (dataset_name) to draw when a dump holds several')
    parser.add_argument('--num', type=int, default=8, help='hands to draw')
    parser.add_argument('--pick', default='gain', choices=PICKS)
    parser.add_argument('--seed', type=int, default=0, help='for --pick random')
    parser.add_argument('--out', default='predictions.png')
    parser.add_argument('--alignment', default='root', choices=('root', 'centroid_scale', 'none'),
                        help="the 3D error's alignment, as Hand3DMetric's")
    parser.add_argument('--scale', default='gt_bone', choices=('gt_bone', 'none'),
                        help="the 3D error's scale, as Hand3DMetric's")
    parser.add_argument('--min-valid-joints', type=int, default=1,
                        help='hands with fewer 3D-labelled joints are left out, as Hand3DMetric')
    args = parser.parse_args(argv)
    args.names = args.names or [osp.splitext(osp.basename(p))[0] for p in args.dumps]
    if len(args.names) != len(args.dumps):
        parser.error(f'{len(args.dumps)} dumps but {len(args.names)} names')
    if args.num < 1:
        parser.error(f'--num must be at least 1, got {args.num}')
    if args.min_valid_joints < 1:
        parser.error(f'--min-valid-joints must be at least 1, got {args.min_valid_joints}')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    dumps = [load_dump(p, args.group, complete=False) for p in args.dumps]
    keys, errors = model_errors(dumps, args.names, args.alignment, args.scale,
                                args.min_valid_joints)
    first = dumps[0]
    left_out = len(first) - len(keys)
    if not keys:
        raise ValueError(f'none of the {len(first)} hands of {args.dumps[0]} has '
                         f'{args.min_valid_joints} or more joints labelled in 3D and one in 2D '
                         '(--min-valid-joints)')
    if left_out:
        print(f'{left_out} of {len(first)} hands left out: fewer than '
              f'{args.min_valid_joints} joints labelled in 3D, or none in 2D')
    chosen = pick_hands(errors[:, :, 0], args.num, args.pick, args.seed)
    images = [_load_image(first[keys[i]]['img_path']) for i in chosen]
    gt2d = np.stack([first[keys[i]]['gt2d'] for i in chosen])
    gt_valid = np.stack([first[keys[i]]['valid2d'] for i in chosen])
    preds = {n: np.stack([d[keys[i]]['pred2d'] for i in chosen])
             for n, d in zip(args.names, dumps)}
    captions: Dict[str, List[str]] = {
        n: [f'{errors[m, i, 0]:.1f} mm, {errors[m, i, 1]:.1f} px' for i in chosen]
        for m, n in enumerate(args.names)}
    titles = [f'hand {keys[i][1]}' for i in chosen]
    plot_predictions(images, gt2d, preds, captions, args.out, titles, gt_valid)
    result = dict(pick=args.pick, alignment=args.alignment, scale=args.scale,
                  left_out=left_out, hands=[
        dict(id=keys[i][1], img_path=first[keys[i]]['img_path'],
             epe3d_mm={n: float(errors[m, i, 0]) for m, n in enumerate(args.names)},
             epe2d_px={n: float(errors[m, i, 1]) for m, n in enumerate(args.names)})
        for i in chosen], out=args.out)
    for h in result['hands']:
        print(f'hand {h["id"]}: ' + ', '.join(
            f'{n} {h["epe3d_mm"][n]:.1f} mm / {h["epe2d_px"][n]:.1f} px' for n in args.names))
    print(f'wrote {args.out}')
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
