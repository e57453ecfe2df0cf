# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Find the checkpoint that ``tools/train.py --resume`` continues from, even when MMEngine's
``last_checkpoint`` pointer cannot be trusted.

MMEngine 0.10.7 resumes from the path written in ``<work_dir>/last_checkpoint``. Its
``CheckpointHook`` writes that pointer with a plain ``open(..., 'w')`` (checkpoints themselves are
written atomically here, :mod:`semihand_mmpose.fileio.atomic_local_backend`), so a power cut right
after a save can leave it empty, and a work dir copied to another machine or path keeps a pointer
to where the checkpoint used to be. In both cases MMEngine tries to resume from a file that is not
there and stops. :func:`find_resume_checkpoint` trusts the pointer when it names an existing file
and otherwise takes the newest ``iter_N.pth`` / ``epoch_N.pth`` in the work dir, saying so in the
log. Rather than patching the hook, ``tools/train.py`` passes the result to the runner as the
checkpoint to resume from (``--resume PATH`` does the same).
"""
import logging
import os
import os.path as osp
import re
from typing import Optional, Tuple

from mmengine.logging import print_log

#: the checkpoints :class:`mmengine.hooks.CheckpointHook` names by step
_STEP_CHECKPOINT = re.compile(r'^(?:iter|epoch)_(\d+)\.pth$')


def find_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint to resume a run in ``work_dir`` from.

    Args:
        work_dir (str): The run's work dir.

    Returns:
        str | None: The file ``last_checkpoint`` names when that file exists; else the newest
        ``iter_N.pth`` or ``epoch_N.pth`` in ``work_dir`` (the largest N); else ``None`` (nothing
        to resume: the run starts as configured).
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    named = None
    if osp.isfile(pointer):
        with open(pointer, encoding='utf-8') as f:
            named = f.read().strip()
        if named and osp.isfile(named):
            return named
    newest = _newest_step_checkpoint(work_dir)
    if newest is not None:
        if named is None:
            why = f'{pointer} does not exist'
        elif not named:
            why = f'{pointer} is empty'
        else:
            why = f'{pointer} names {named}, which does not exist'
        print_log(f'{why}; taking the newest checkpoint in the work dir instead, {newest}',
                  logger='current', level=logging.WARNING)
    return newest


def checkpoint_step(checkpoint: str) -> Optional[int]:
    """The iteration (or epoch) after which ``checkpoint`` was saved, read from the name that
    :class:`mmengine.hooks.CheckpointHook` gives it.

    Args:
        checkpoint (str): A checkpoint's path.

    Returns:
        int | None: N of ``iter_N.pth`` or ``epoch_N.pth``; ``None`` for any other name.
    """
    match = _STEP_CHECKPOINT.match(osp.basename(checkpoint))
    return int(match.group(1)) if match else None


def schedule_position(checkpoint: str, train_cfg: dict) -> Optional[Tuple[int, int, str]]:
    """Where ``checkpoint`` stands in the schedule of ``train_cfg``: the step in its name and the
    configured end of a loop of the same kind (``iter_N.pth`` against ``max_iters``,
    ``epoch_N.pth`` against ``max_epochs``).

    ``tools/train.py`` (a resumed run that is already finished) and the adaptation benchmark (a
    run killed part way) both ask this; an epoch checkpoint compared with ``max_iters`` would
    answer wrongly in either.

    Args:
        checkpoint (str): A checkpoint's path.
        train_cfg (dict): The config's ``train_cfg``.

    Returns:
        tuple[int, int, str] | None: ``(step, end, key)``, ``key`` being ``'max_iters'`` or
        ``'max_epochs'``; ``None`` when the name does not tell the step or the loop has no end
        of that kind.
    """
    step = checkpoint_step(checkpoint)
    if step is None:
        return None
    key = 'max_iters' if osp.basename(checkpoint).startswith('iter_') else 'max_epochs'
    end = (train_cfg or {}).get(key)
    return None if end is None else (step, end, key)


def _newest_step_checkpoint(work_dir: str) -> Optional[str]:
    """The ``iter_N.pth`` or ``epoch_N.pth`` in ``work_dir`` with the largest N, or ``None``."""
    if not osp.isdir(work_dir):
        return None
    steps = []
    for entry in os.scandir(work_dir):
        step = checkpoint_step(entry.name)
        if step is not None and entry.is_file():
            steps.append((step, entry.name))
    if not steps:
        return None
    return osp.join(work_dir, max(steps)[1])
