# Copyright (c) semihand_mmpose authors. All rights reserved.
"""mmdet's multi-source batches, with labelled-only batches while the model burns in."""
from typing import Iterator, List, Sized, Union

from mmdet.datasets.samplers import MultiSourceSampler
from mmpose.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class BurnInMultiSourceSampler(MultiSourceSampler):
    """mmdet's ``MultiSourceSampler`` whose first ``burn_in_iters`` batches follow
    ``burn_in_ratio`` instead of ``source_ratio``.

    Why: during burn-in the model learns from labelled hands only, so the unlabelled half of a
    ``[1, 1]`` batch would be loaded (with all its views) and thrown away, and burn-in would see
    half the labelled hands per step that supervised pre-training does. With the default
    ``burn_in_ratio=[1, 0]`` a burn-in batch is ``batch_size`` labelled hands, as in pre-training,
    and one config can start from nothing at the cost of pre-training plus fine-tuning.

    Batches are counted as they are drawn, so a resumed run (MMEngine's ``IterBasedTrainLoop``
    draws the trained batches again to skip them) switches at the same iteration.

    Args:
        dataset (Sized): A ``ConcatDataset`` (labelled first).
        batch_size (int): Size of a batch.
        source_ratio (list): Share of each dataset in a batch after burn-in.
        burn_in_iters (int): Batches drawn with ``burn_in_ratio``. Defaults to 0.
        burn_in_ratio (list, optional): Share of each dataset in a burn-in batch. Defaults to all
            from the first dataset.
        shuffle (bool): Shuffle each dataset. Defaults to True.
        seed (int, optional): Random seed, shared by the ranks when ``None``.
    """

    def __init__(self, dataset: Sized, batch_size: int, source_ratio: List[Union[int, float]],
                 burn_in_iters: int = 0, burn_in_ratio: List[Union[int, float]] = None,
                 shuffle: bool = True, seed: int = None) -> None:
        super().__init__(dataset, batch_size, source_ratio, shuffle=shuffle, seed=seed)
        if burn_in_ratio is None:
            burn_in_ratio = [1] + [0] * (len(source_ratio) - 1)
        if len(burn_in_ratio) != len(source_ratio) or min(burn_in_ratio) < 0 \
                or sum(burn_in_ratio) <= 0:
            raise ValueError(f'burn_in_ratio must hold {len(source_ratio)} non-negative shares, '
                             f'not all zero, got {burn_in_ratio}')
        self.burn_in_iters = burn_in_iters
        self.num_per_source_burn_in = self._shares(batch_size, burn_in_ratio)

    @staticmethod
    def _shares(batch_size: int, ratio: List[Union[int, float]]) -> List[int]:
        """Samples per dataset, rounded down; the first dataset takes the remainder (as mmdet)."""
        shares = [int(batch_size * r / sum(ratio)) for r in ratio]
        shares[0] = batch_size - sum(shares[1:])
        return shares

    def __iter__(self) -> Iterator[int]:
        drawn = 0
        while True:
            shares = (self.num_per_source_burn_in if drawn < self.burn_in_iters
                      else self.num_per_source)
            drawn += 1
            for source, num in enumerate(shares):
                for _, idx in zip(range(num), self.source2inds[source]):
                    yield idx + self.cumulative_sizes[source]
