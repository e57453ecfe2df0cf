# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Write a synthetic hand split (images, masks, COCO-style 3D JSON).

Example::

    python tools/dataset_converters/generate_synthetic_hands.py \
        --domain target --split test --num-samples 500 --seed 1001

writes ``data/synthetic_hands/target-test-n500-seed1001-128px-v<generator version>-<style>/``
(``<style>`` fingerprints the domain's style), the folder that
``SyntheticHand3DDataset`` with the same arguments reads (configs generate it on first use anyway).
"""
import argparse
import os.path as osp
import time

from semihand_mmpose.datasets.synthetic.domains import DOMAINS
from semihand_mmpose.datasets.synthetic.generator import write_split
from semihand_mmpose.datasets.synthetic_hand_dataset import synthetic_split_dir


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--domain', choices=sorted(DOMAINS), required=True)
    parser.add_argument('--split', default='train', help='name of the split')
    parser.add_argument('--num-samples', type=int, required=True)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--image-size', type=int, default=128)
    parser.add_argument('--data-root', default='data/synthetic_hands')
    parser.add_argument('--nproc', type=int, default=None, help='worker processes (all CPUs)')
    args = parser.parse_args(argv)
    if args.num_samples < 1:
        parser.error(f'--num-samples must be at least 1, got {args.num_samples}')
    return args


def main(argv=None) -> str:
    """Write the split; returns its annotation file."""
    args = parse_args(argv)
    out = synthetic_split_dir(args.data_root, args.domain, args.split, args.num_samples,
                              args.seed, args.image_size)
    if osp.exists(out):
        raise SystemExit(f'{out} exists already; remove it to regenerate')
    start = time.perf_counter()
    ann = write_split(out, args.domain, args.num_samples, seed=args.seed,
                      image_size=args.image_size, nproc=args.nproc)
    elapsed = time.perf_counter() - start
    print(f'\nwrote {ann}: {args.num_samples} images in {elapsed:.1f} s '
          f'({args.num_samples / elapsed:.0f} images/s)')
    return ann


if __name__ == '__main__':
    main()
