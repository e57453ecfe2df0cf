# Copyright (c) semihand_mmpose authors. All rights reserved.
"""RandomStateHook: the generators' states through a checkpoint and back, restored after
MMEngine's skip on resume (which then draws only the skipped batches' indices), and the draws of
the first iteration's other hooks undone."""
import random
from types import SimpleNamespace

import numpy as np
import torch
from mmengine.dataset import DefaultSampler, InfiniteSampler
from mmengine.runner import loops
from torch.utils.data import DataLoader, Dataset, IterableDataset

from semihand_mmpose.engine.hooks import RandomStateHook, random_state_hook
from semihand_mmpose.engine.hooks.random_state_hook import (CHECKPOINT_KEY, get_random_state,
                                                            set_random_state)


def _draws():
    return random.random(), np.random.rand(3).tolist(), np.random.randn(), torch.rand(3).tolist()


def test_the_states_survive_a_checkpoint_loaded_with_weights_only(tmp_path):
    np.random.seed(3)
    np.random.randn()  # leaves a cached Gaussian in NumPy's state
    path = tmp_path / 'ckpt.pth'
    torch.save({CHECKPOINT_KEY: get_random_state()}, path)
    expected = _draws()
    random.seed(99), np.random.seed(99), torch.manual_seed(99)
    set_random_state(torch.load(path, weights_only=True)[CHECKPOINT_KEY])
    assert _draws() == expected


class _Loop:
    """IterBasedTrainLoop's part the hook touches: an iterator whose batches are draws."""

    def __init__(self):
        self.dataloader_iterator = iter(lambda: np.random.rand(), None)

    def run(self, runner, hook, skip, iters):
        for _ in range(skip):  # MMEngine's advance on resume
            next(self.dataloader_iterator)
        batches = []
        for _ in range(iters):
            batches.append(next(self.dataloader_iterator))
            np.random.rand()  # another hook, picking the resumed run up at its first iteration
            hook.before_train_iter(runner, 0)
        return batches


def test_a_resumed_loop_gets_the_batches_of_the_uninterrupted_one():
    hook, loop = RandomStateHook(), _Loop()
    runner = SimpleNamespace(iter=0, world_size=1, train_loop=loop)
    np.random.seed(0)
    hook.before_train(runner)
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    # the uninterrupted run after the save: no hook draws anything at these iterations
    uninterrupted = [np.random.rand() for _ in range(3)]
    # resumed after 4 iterations, the process seeded afresh
    np.random.seed(0)
    runner.iter, loop = 4, _Loop()
    runner.train_loop = loop
    hook.after_load_checkpoint(runner, checkpoint)
    hook.before_train(runner)
    assert loop.run(runner, hook, skip=4, iters=1) == uninterrupted[:1]
    assert not hasattr(loop.dataloader_iterator, 'after_first')  # the loop has its own back
    # the other hook's draw at the first iteration was undone
    assert [next(loop.dataloader_iterator) for _ in range(2)] == uninterrupted[1:]


def test_a_fresh_or_fine_tuning_run_keeps_its_seed():
    hook, loop = RandomStateHook(), _Loop()
    runner = SimpleNamespace(iter=0, world_size=1, train_loop=loop)
    iterator = loop.dataloader_iterator
    # load_from: a checkpoint with a state, but the run starts at iteration 0
    hook.after_load_checkpoint(runner, {CHECKPOINT_KEY: get_random_state()})
    np.random.seed(5)
    expected = np.random.rand()
    np.random.seed(5)
    hook.before_train(runner)
    assert loop.dataloader_iterator is iterator and np.random.rand() == expected


def test_resuming_a_checkpoint_without_a_state_says_so(monkeypatch):
    said = []
    monkeypatch.setattr(random_state_hook, 'print_log', lambda msg, **kwargs: said.append(msg))
    hook, loop = RandomStateHook(), _Loop()
    runner = SimpleNamespace(iter=4, world_size=1, train_loop=loop)
    iterator = loop.dataloader_iterator
    hook.after_load_checkpoint(runner, {'meta': {}})
    hook.before_train(runner)
    assert loop.dataloader_iterator is iterator
    assert 'holds no random state' in said.pop()
    # with several processes only rank 0's state was saved: nothing is restored
    runner.world_size = 2
    hook.after_load_checkpoint(runner, {CHECKPOINT_KEY: get_random_state()})
    hook.before_train(runner)
    assert loop.dataloader_iterator is iterator
    assert "only rank 0's random state is saved" in said.pop()


class _Counted(Dataset):
    """Samples ``(index, a draw from NumPy's global generator)``, as a pipeline's augmentation
    draws; counts the loads."""

    def __init__(self, size: int):
        self.size, self.loads = size, 0

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        self.loads += 1
        return index, np.random.rand()


class _CountedStream(IterableDataset):

    def __init__(self):
        self.loads = 0

    def __iter__(self):
        while True:
            self.loads += 1
            yield np.random.rand()


def _resumed_batches(make_loader, skip: int, iters: int):
    """The batches after ``skip`` of an uninterrupted loop, and of a loop resumed after ``skip``
    through the hook (the process seeded afresh), with the loads the resumed one's skip made."""
    np.random.seed(0)
    whole = loops._InfiniteDataloaderIterator(make_loader())
    for _ in range(skip):
        next(whole)
    state = get_random_state()
    uninterrupted = [next(whole) for _ in range(iters)]
    np.random.seed(0)
    loader = make_loader()
    loop = SimpleNamespace(dataloader_iterator=loops._InfiniteDataloaderIterator(loader))
    runner = SimpleNamespace(iter=skip, world_size=1, train_loop=loop)
    hook = RandomStateHook()
    hook.after_load_checkpoint(runner, {CHECKPOINT_KEY: state})
    hook.before_train(runner)
    before = loader.dataset.loads
    for _ in range(skip):  # MMEngine's advance on resume
        next(loop.dataloader_iterator)
    skip_loads = loader.dataset.loads - before
    return uninterrupted, [next(loop.dataloader_iterator) for _ in range(iters)], skip_loads


def _assert_same(first, second):
    assert len(first) == len(second)
    for a, b in zip(first, second):
        assert all(torch.equal(x, y) for x, y in zip(a, b))


def test_the_skip_draws_indices_only_and_the_batches_after_it_are_the_same(monkeypatch):
    monkeypatch.setattr(loops.time, 'sleep', lambda seconds: None)  # at an epoch's end
    # an infinite sampler (as every semihand_mmpose config), shuffled
    uninterrupted, resumed, loads = _resumed_batches(
        lambda: DataLoader(_Counted(7), batch_size=2, sampler=InfiniteSampler(_Counted(7), seed=3)),
        skip=5, iters=3)
    _assert_same(uninterrupted, resumed)
    assert loads == 0
    # a finite one, the skip ending past an epoch's end: MMEngine's iterator starts the next
    # epoch (reshuffled) and loads its first batch, the one skipped there
    uninterrupted, resumed, loads = _resumed_batches(
        lambda: DataLoader(_Counted(5), batch_size=2, sampler=DefaultSampler(_Counted(5), seed=3)),
        skip=4, iters=3)
    _assert_same(uninterrupted, resumed)
    assert loads == 2


def test_an_iterable_dataset_is_loaded_to_be_skipped():
    uninterrupted, resumed, loads = _resumed_batches(
        lambda: DataLoader(_CountedStream(), batch_size=2), skip=3, iters=2)
    assert [b.tolist() for b in uninterrupted] == [b.tolist() for b in resumed]
    assert loads == 6
