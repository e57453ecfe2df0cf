# Copyright (c) semihand_mmpose authors. All rights reserved.
"""The in-project synthetic hands as a dataset that generates its own cache."""
import os.path as osp
from typing import Optional

from mmengine.dist import barrier, get_rank
from mmengine.logging import print_log
from mmpose.registry import DATASETS

from .hand3d_dataset import Hand3DDataset
from .synthetic.domains import DOMAINS, style_fingerprint
from .synthetic.generator import ANNOTATION_FILE, GENERATOR_VERSION, write_split


def synthetic_split_dir(data_root: str, domain: str, split: str, num_samples: int, seed: int,
                        image_size: int) -> str:
    """Where a synthetic split is cached; everything that changes its content is in the name."""
    if domain not in DOMAINS:
        raise ValueError(f'unknown synthetic domain {domain!r}; expected one of {sorted(DOMAINS)}')
    style = style_fingerprint(domain)
    return osp.join(data_root, f'{domain}-{split}-n{num_samples}-seed{seed}-{image_size}px-'
                    f'v{GENERATOR_VERSION}-{style}')


@DATASETS.register_module()
class SyntheticHand3DDataset(Hand3DDataset):
    """Synthetic hands of one domain, generated on first use and cached under ``data_root``.

    A config needs no separate generation step: the first run writes the split (with a progress
    bar) and later runs reuse it. ``tools/dataset_converters/generate_synthetic_hands.py`` writes
    the same splits ahead of time.

    Args:
        domain (str): ``'source'`` (clean "rendered" hands, plays RHD), ``'target'`` ("real-like",
            plays STB / Dexter+Object) or ``'target_poses'`` (the source's look, wider poses).
        split (str): A name for the split (``'train'``, ``'test'``...), part of the cache folder.
        num_samples (int): Number of images.
        seed (int): Seed of the split; use different seeds for different splits.
        image_size (int): Side of the square images. Defaults to 128.
        data_root (str): Cache folder. Defaults to ``'data/synthetic_hands'``.
        **kwargs: See :class:`Hand3DDataset` (e.g. ``labelled``, ``pipeline``, ``test_mode``).
    """

    def __init__(self, domain: str, split: str, num_samples: int, seed: int,
                 image_size: int = 128, data_root: str = 'data/synthetic_hands',
                 dataset_name: Optional[str] = None, **kwargs) -> None:
        split_dir = synthetic_split_dir(data_root, domain, split, num_samples, seed, image_size)
        ann_file = osp.join(split_dir, ANNOTATION_FILE)
        if get_rank() == 0 and not osp.isfile(ann_file):
            print_log(f'generating {num_samples} synthetic {domain} hands into {split_dir}',
                      logger='current')
            write_split(split_dir, domain, num_samples, seed=seed, image_size=image_size)
        barrier()
        self.domain = domain
        super().__init__(
            ann_file=ann_file, data_root=None, data_prefix=dict(img=split_dir),
            dataset_name=dataset_name or f'synthetic_{domain}', **kwargs)
