# Copyright (c) semihand_mmpose authors. All rights reserved.
"""RandomStateHook: the generators' states through a checkpoint and back, restored after
MMEngine's skip on resume, and the draws of the first iteration's other hooks undone."""
import random
from types import SimpleNamespace

import numpy as np
import torch

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
