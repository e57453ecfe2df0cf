# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Generate labelled synthetic hand images and write them as a COCO-style 3D hand split.

Each sample depends only on ``(seed, domain, index)``, so a split is the same whatever the number of
worker processes. A split is written to a temporary folder and renamed into place when complete,
after a sync, so a reader never sees half of one, not even after a power cut.
"""
import os
import os.path as osp
import shutil
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.utils import track_parallel_progress

from ...fileio import sync_directory
from ..hand3d_format import hand_annotation, keypoint_bbox, write_annotations
from . import domains, hand_sampler, renderer

#: Bump when the generator's output changes, so stale caches are not reused.
GENERATOR_VERSION = 3
#: One per key of :data:`domains.DOMAINS`; never renumber one (a sample's draws depend on it).
_DOMAIN_IDS = dict(source=0, target=1, target_poses=2)
ANNOTATION_FILE = 'annotations.json'


def generate_samples(domain: str, seed: int, indices: Sequence[int],
                     image_size: int = 128) -> List[Dict[str, np.ndarray]]:
    """Make labelled images; sample ``i`` depends only on ``(seed, domain, i)``.

    The hands of all ``indices`` go through forward kinematics in one batch; everything random is
    drawn from each index's own generator, so the result does not depend on how indices are grouped.

    Args:
        domain (str): A key of :data:`~.domains.DOMAINS` (``'source'``, ``'target'``,
            ``'target_poses'``).
        seed (int): The split's seed.
        indices (Sequence[int]): Indices of the samples in the split.
        image_size (int): Side of the square image.

    Returns:
        list: Per sample a dict with ``image`` (H, W, 3) BGR uint8, ``jpeg`` (its JPEG bytes when
        the domain compresses, else ``None``), ``mask`` (H, W) uint8 in {0, 1}, ``uv`` (21, 2),
        ``visible`` (21,), ``joints_cam`` (21, 3) mm and ``K`` (3, 3).
    """
    if domain not in domains.DOMAINS:
        raise ValueError(f'unknown synthetic domain {domain!r}; expected one of '
                         f'{sorted(domains.DOMAINS)}')
    style = domains.DOMAINS[domain]
    rngs = [np.random.default_rng([seed, _DOMAIN_IDS[domain], index]) for index in indices]
    hands = hand_sampler.build_hands(
        [hand_sampler.sample_hand_parameters(rng, style.poses) for rng in rngs])
    samples = []
    for rng, joints in zip(rngs, hands):
        joints_cam, K = hand_sampler.sample_camera_pose(rng, style.poses, joints, image_size)
        image = domains.background(rng, style, image_size)
        part_ids, uv = renderer.render_hand(
            image, joints_cam, K, domains.skin_colour(rng, style),
            domains.light_direction(rng, style), style.shading)
        domains.add_occluder(image, part_ids, rng, style, uv)
        image, jpeg = domains.corrupt(image, rng, style)
        samples.append(dict(
            image=image,
            jpeg=jpeg,
            mask=(part_ids > 0).astype(np.uint8),
            uv=uv,
            visible=renderer.joint_visibility(part_ids, uv),
            joints_cam=joints_cam,
            K=K))
    return samples


def generate_sample(domain: str, seed: int, index: int,
                    image_size: int = 128) -> Dict[str, np.ndarray]:
    """One labelled image; see :func:`generate_samples`."""
    return generate_samples(domain, seed, [index], image_size)[0]


def _limit_threads() -> None:
    """One thread per worker: the workers already fill the cores, and torch's intra-op threads
    (used by the batched forward kinematics) would oversubscribe them."""
    import torch
    torch.set_num_threads(1)
    cv2.setNumThreads(1)


def _write_chunk(task: Tuple[str, str, int, int, int, int]) -> List[Tuple[dict, dict]]:
    out_dir, domain, seed, start, stop, image_size = task
    records = []
    for index, s in zip(range(start, stop),
                        generate_samples(domain, seed, range(start, stop), image_size)):
        mask_file = f'masks/{index:06d}.png'
        if s['jpeg'] is not None:  # the image is these bytes decoded: store them, lossless
            img_file = f'images/{index:06d}.jpg'
            s['jpeg'].tofile(osp.join(out_dir, img_file))
        else:
            # Uncompressed (BMP), also lossless: a 128-px image decodes in 0.02 ms against PNG's
            # 0.75 ms, which on 2 cores was a quarter of the 2.9 ms a labelled training sample
            # took to load and augment; the split takes twice the disk (about 50 KB an image)
            img_file = f'images/{index:06d}.bmp'
            cv2.imwrite(osp.join(out_dir, img_file), s['image'])
        cv2.imwrite(osp.join(out_dir, mask_file), s['mask'] * 255,
                    [cv2.IMWRITE_PNG_COMPRESSION, 1])
        image = dict(id=index, file_name=img_file, width=image_size, height=image_size,
                     K=s['K'].tolist(), domain=domain)
        ann = hand_annotation(
            index, index, keypoint_bbox(s['uv'], (image_size, image_size)), s['uv'],
            np.where(s['visible'] > 0, 2.0, 1.0), s['joints_cam'], mask_file=mask_file,
            hand_side='right')
        records.append((image, ann))
    return records


def write_split(out_dir: str, domain: str, num_samples: int, seed: int = 0,
                image_size: int = 128, nproc: Optional[int] = None,
                chunk_size: int = 64) -> str:
    """Generate a split and write it as images, masks and a COCO-style JSON.

    The layout is ``out_dir/images/*.{bmp,jpg}`` (uncompressed, or the JPEG bytes of a domain
    that compresses), ``out_dir/masks/*.png`` and ``out_dir/annotations.json``. Nothing is
    written at ``out_dir`` until the split is complete.

    Args:
        out_dir (str): Folder of the split; must not exist yet.
        domain (str): A key of :data:`~.domains.DOMAINS` (``'source'``, ``'target'``,
            ``'target_poses'``).
        num_samples (int): Number of images.
        seed (int): Seed of the split.
        image_size (int): Side of the square images.
        nproc (int, optional): Worker processes; defaults to the number of CPUs.
        chunk_size (int): Images per task.

    Returns:
        str: The annotation file's path.
    """
    if num_samples <= 0:
        raise ValueError(f'num_samples must be positive, got {num_samples}')
    if domain not in domains.DOMAINS:
        raise ValueError(f'unknown synthetic domain {domain!r}; expected one of '
                         f'{sorted(domains.DOMAINS)}')
    parent = osp.dirname(osp.abspath(out_dir))
    os.makedirs(parent, exist_ok=True)
    tmp_dir = tempfile.mkdtemp(prefix='.tmp-' + osp.basename(out_dir) + '-', dir=parent)
    try:
        os.makedirs(osp.join(tmp_dir, 'images'))
        os.makedirs(osp.join(tmp_dir, 'masks'))
        tasks = [(tmp_dir, domain, seed, start, min(start + chunk_size, num_samples), image_size)
                 for start in range(0, num_samples, chunk_size)]
        nproc = nproc or os.cpu_count() or 1
        if nproc > 1 and len(tasks) > 1:
            chunks = track_parallel_progress(_write_chunk, tasks, nproc,
                                             initializer=_limit_threads)
        else:
            from mmengine.utils import track_progress
            chunks = track_progress(_write_chunk, tasks)
        images = [img for chunk in chunks for img, _ in chunk]
        anns = [ann for chunk in chunks for _, ann in chunk]
        write_annotations(
            osp.join(tmp_dir, ANNOTATION_FILE), images, anns,
            info=dict(description=f'semihand_mmpose synthetic hands, domain {domain}',
                      version=GENERATOR_VERSION, seed=seed, image_size=image_size))
        # the images were written by the worker processes: one sync puts all of them on disk
        # before the rename can, so a power cut leaves the split whole or absent
        if hasattr(os, 'sync'):
            os.sync()
        try:
            os.rename(tmp_dir, out_dir)
        except OSError:
            if not osp.isfile(osp.join(out_dir, ANNOTATION_FILE)):
                raise
            shutil.rmtree(tmp_dir)  # another process finished the same split first
        else:
            sync_directory(parent)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    return osp.join(out_dir, ANNOTATION_FILE)
