# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Resume with the random generators where they were, so that a resumed run draws the same
augmentations as the run it continues.

MMEngine's resume restores the model, the optimiser, the schedulers and the iteration, seeds the
process again with the run's seed, and replays the sampler by fetching and discarding as many
batches as were trained. Where data workers load the batches (``num_workers > 0``) that replays
their random draws too: each worker is seeded the same way when it starts and then loads the same
batches. With ``num_workers=0``, this project's default on 2 CPU cores, the pipeline draws from the
training process's own ``random``, ``numpy`` and ``torch`` generators, which no checkpoint holds:
the resumed run seeds them afresh and spends them on the skipped batches, so every augmentation
after the resume differs from the uninterrupted run's. Measured on ``configs/semihand_synth.py``
(16 images a domain, 8 iterations, resumed after 4): 129 of the 308 tensors of the final
checkpoint differed, by up to 0.6; with this hook none does.

:class:`RandomStateHook` writes the generators' states into every checkpoint and, on resume, puts
them back just before the first batch after the skipped ones. MMEngine's loop has no hook between
its skip and that batch, so the hook wraps the loop's data iterator for those calls and then hands
the loop its own iterator back. It restores them once more after the first iteration's other
hooks: in a resumed run they redo there what the uninterrupted run did before its checkpoint
(``SemiHandHook`` builds its labelling loader, whose sampler draws a seed). Not covered:
accelerator generators (none of this project's models draws random numbers) and more than one
process (``save_checkpoint`` runs on rank 0 only, so only rank 0's states could be saved; with
several ranks the hook says so and restores nothing).

As the generators are put back after the skip, a batch loaded in the training process need not be
loaded to be skipped: the wrapper draws only its indices from the sampler, which is all that
loading it leaves behind. MMEngine loads every skipped batch: resuming ``configs/semihand_synth.py``
from its checkpoint at the end of burn-in for one more iteration took 64 s on 2 CPU cores, 37 s of
them skipping 750 batches; with the indices only, 28 s, and the same weights bit for bit.
"""
import logging
import random
from typing import Iterator, Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpose.registry import HOOKS
from torch.utils.data import IterableDataset
# private: the iterator a DataLoader with num_workers=0 makes (see _RestoreAfterSkip)
from torch.utils.data.dataloader import _SingleProcessDataLoaderIter

#: the checkpoint key the states are written under
CHECKPOINT_KEY = 'random_state'


def get_random_state() -> dict:
    """The states of Python's, NumPy's and PyTorch's global generators, in plain types and
    tensors (so the checkpoint still loads with ``torch.load(weights_only=True)``)."""
    name, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    return dict(
        python=random.getstate(),
        numpy=(name, keys.tolist(), int(pos), int(has_gauss), float(cached_gaussian)),
        torch=torch.get_rng_state())


def set_random_state(state: dict) -> None:
    """Put the global generators back in a state returned by :func:`get_random_state`."""
    version, internal, gauss_next = state['python']
    random.setstate((version, tuple(internal), gauss_next))
    name, keys, pos, has_gauss, cached_gaussian = state['numpy']
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss,
                         cached_gaussian))
    torch.set_rng_state(state['torch'])


class _RestoreAfterSkip:
    """The loop's data iterator, which puts ``state`` back just before the batch after the
    ``skip`` that MMEngine's loop discards on resume, then gives the loop its iterator back.

    ``after_first`` is the state right after that batch, for :class:`RandomStateHook` to put back
    once the first iteration's other hooks have run.
    """

    def __init__(self, loop, skip: int, state: dict) -> None:
        self._loop = loop
        self._iterator = loop.dataloader_iterator
        self._left = skip
        self._state = state
        self.after_first: Optional[dict] = None

    def __iter__(self) -> Iterator:
        return self

    def __next__(self):
        if self._left > 0:
            self._left -= 1
            # MMEngine's loop discards the skipped batches
            return None if self._skip_indices() else next(self._iterator)
        set_random_state(self._state)
        self._loop.dataloader_iterator = self._iterator
        batch = next(self._iterator)
        self.after_first = get_random_state()
        return batch

    def _skip_indices(self) -> bool:
        """Draw one batch's indices from the sampler without loading the batch; ``False`` where
        the batch has to be loaded instead.

        Loading a batch in the training process (torch's single-process iterator over a
        map-style dataset) draws its indices, then runs the pipeline, whose only lasting effect
        is on the global generators, which are put back after the skip. Worker processes
        (``num_workers > 0``) keep their own generators, which only loading the same batches
        replays; an iterable dataset has no indices. ``_next_index`` is the method torch's
        iterators draw indices with (private, hence the checks).
        """
        inner = getattr(self._iterator, '_iterator', None)  # MMEngine's infinite iterator's
        dataset = getattr(inner, '_dataset', None)
        if (not isinstance(inner, _SingleProcessDataLoaderIter) or dataset is None
                or isinstance(dataset, IterableDataset) or not hasattr(inner, '_next_index')):
            return False
        try:
            inner._next_index()
        except StopIteration:
            # the end of a finite sampler's epoch: MMEngine's iterator starts the next one, and
            # the batch it then loads is the one skipped
            return False
        return True

    def __getattr__(self, name: str):
        return getattr(self._iterator, name)


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save the random generators' states with every checkpoint and restore them on resume, so
    that a resumed single-process run trains on the same augmentations as an uninterrupted one;
    skip the batches it trained without loading them where they are loaded in this process.

    One of the default hooks of the runtime config every semihand_mmpose config inherits
    (``default_hooks.random_state``). A checkpoint saved without it resumes as before, with a
    warning.
    """

    # before_train_iter after the hooks that pick a resumed run up again (NORMAL), so that what
    # they draw there is undone
    priority = 'LOW'

    def __init__(self) -> None:
        self._loaded: Optional[dict] = None
        self._restoring: Optional[_RestoreAfterSkip] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[CHECKPOINT_KEY] = get_random_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._loaded = checkpoint.get(CHECKPOINT_KEY)

    def before_train(self, runner) -> None:
        # a run that starts at iteration 0 (from nothing, or fine-tuning from load_from) keeps
        # its fresh seed; only a resumed one continues the saved stream
        loaded, self._loaded = self._loaded, None
        if runner.iter == 0:
            return
        if loaded is None:
            print_log('the checkpoint resumed from holds no random state: with num_workers=0 '
                      'the augmentations from here on differ from an uninterrupted run\'s',
                      logger='current', level=logging.WARNING)
        elif runner.world_size > 1:
            print_log(f'{runner.world_size} processes: only rank 0\'s random state is saved, '
                      'so none is restored', logger='current', level=logging.WARNING)
        elif hasattr(runner.train_loop, 'dataloader_iterator'):
            self._restoring = _RestoreAfterSkip(runner.train_loop, runner.iter, loaded)
            runner.train_loop.dataloader_iterator = self._restoring
        else:  # an epoch-based loop starts its next epoch with nothing to skip
            set_random_state(loaded)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        # A resumed run's hooks do, at its first iteration, what the uninterrupted run did before
        # the checkpoint (SemiHandHook builds its labelling loader, which draws a sampler seed,
        # and reloads the latest round): put back the state that the first batch left.
        if self._restoring is not None and self._restoring.after_first is not None:
            set_random_state(self._restoring.after_first)
            self._restoring = None
