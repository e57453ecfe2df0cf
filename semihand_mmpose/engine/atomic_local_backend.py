# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Write MMEngine's local files atomically, so that a checkpoint is either whole or absent.

MMEngine 0.10.7 saves a checkpoint with ``LocalBackend.put``, which opens ``iter_N.pth`` and
writes into it. A run that is killed, or a disk that fills up, during the write leaves a
truncated checkpoint under its real name (seen in this project: a full disk left a 155 MB
``iter_200.pth`` of 210 MB), and a run writing into a work dir that already holds a checkpoint of
that name destroys the good file before the new one is whole. Rather than patching the runner,
this re-registers the ``local`` storage backend (the ``''`` prefix of
:func:`mmengine.fileio.get_file_backend`, the extension point MMEngine provides, as
``checkpoint_loading`` does for reading) with one that writes to a temporary file next to the
target and renames it over the target: readers see the old file or the new one, never part of
one. A failed write removes its temporary file and raises (a process killed outright may leave
``<name>.<pid>.tmp`` behind, never a truncated ``<name>``). Every local write MMEngine makes
through its file backends gets this (checkpoints, best checkpoints, ``mmengine.dump``); the
``last_checkpoint`` pointer is written by the hook itself, after the checkpoint is complete.
"""
import os
import os.path as osp
from pathlib import Path
from typing import Union

import mmengine
from mmengine.fileio import LocalBackend, register_backend


class AtomicLocalBackend(LocalBackend):
    """MMEngine's :class:`LocalBackend` whose ``put`` and ``put_text`` replace the target file
    atomically (``os.replace`` of a temporary file in the same directory)."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes to ``filepath`` atomically, creating its directory if needed."""
        self._replace(filepath, 'wb', obj, encoding=None)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically, creating its directory if needed."""
        self._replace(filepath, 'w', obj, encoding=encoding)

    @staticmethod
    def _replace(filepath: Union[str, Path], mode: str, obj, encoding) -> None:
        filepath = str(filepath)
        mmengine.mkdir_or_exist(osp.dirname(filepath))
        # per process, so two ranks writing the same file cannot mix their temporary files
        tmp = f'{filepath}.{os.getpid()}.tmp'
        try:
            with open(tmp, mode, encoding=encoding) as f:
                f.write(obj)
            os.replace(tmp, filepath)
        except BaseException:
            if osp.exists(tmp):
                os.remove(tmp)
            raise


register_backend('local', AtomicLocalBackend, force=True, prefixes='')
