# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Write MMEngine's local files atomically, so that a checkpoint is either whole or absent.

MMEngine 0.10.7 saves a checkpoint with ``LocalBackend.put``, which opens ``iter_N.pth`` and writes
into it. A run that is killed, or a disk that fills up, during the write leaves a truncated
checkpoint under its real name (seen in this project: a full disk left a 155 MB ``iter_200.pth`` of
210 MB), and a run writing into a work dir that already holds a checkpoint of that name destroys
the good file before the new one is whole. Rather than patching the runner, this re-registers the
``local`` storage backend (the ``''`` prefix of :func:`mmengine.fileio.get_file_backend`, the
extension point MMEngine provides, as :mod:`semihand_mmpose.engine.checkpoint_loading` does for
reading) with one that writes to a temporary file next to the target and renames it over the
target: readers see the old file or the new one, never part of one. The file is synced to disk
before the rename and the directory after it, so this holds across a power cut too. A failed write
removes its temporary file and raises. A process killed outright (the out-of-memory killer,
``kill -9``) leaves ``<name>.<host>.<pid>.tmp`` behind, never a truncated ``<name>``; a later write
into that directory removes such files once their process is gone from this host and they are no
longer being written (:func:`remove_stale_temporaries`), so a run that is killed and resumed does
not keep a checkpoint-sized file per kill. Every local write MMEngine makes through its file
backends gets this (checkpoints, best checkpoints, ``mmengine.dump``); the ``last_checkpoint``
pointer is written by the hook itself, after the checkpoint is complete, and ``tools/train.py
--resume`` does without it when it is empty or stale (:mod:`semihand_mmpose.engine.resume`). Plain
local backends that MMEngine cached before this module was imported are dropped from its cache, so
they are built again as this one.
"""
import os
import os.path as osp
import re
import socket
import time
from pathlib import Path
from typing import Union

import mmengine
from mmengine.fileio import LocalBackend, register_backend
from mmengine.fileio import io as mmengine_io


#: temporary files are ``<name>.<host>.<pid>.tmp``: this host's, with the writer's pid
_HOST = socket.gethostname()
_TEMPORARY = re.compile(r'\.' + re.escape(_HOST) + r'\.(\d+)\.tmp$')


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
        directory = osp.dirname(filepath) or '.'
        mmengine.mkdir_or_exist(directory)
        remove_stale_temporaries(directory)
        # per host and process, so two ranks writing the same file cannot mix their temporary
        # files, and a stale one can be told from one being written
        tmp = f'{filepath}.{_HOST}.{os.getpid()}.tmp'
        try:
            with open(tmp, mode, encoding=encoding) as f:
                f.write(obj)
                # on disk before the rename, or a power cut could leave the new name on an empty
                # file (a file system may order the rename first)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, filepath)
        except BaseException:
            if osp.exists(tmp):
                os.remove(tmp)
            raise
        sync_directory(directory)


def remove_stale_temporaries(directory: str, min_age_s: float = 600.0) -> list:
    """Remove the temporary files of :class:`AtomicLocalBackend` in ``directory`` that a killed
    process left behind.

    A file counts as stale only when all three hold: it carries this host's name (a process on
    another host sharing the directory is not ours to judge), its process no longer exists here,
    and it has not been written to for ``min_age_s`` seconds (a process of the same host name in
    another PID namespace, e.g. a second container, may still be writing it). Nothing is removed
    on Windows, where ``os.kill`` cannot test a process without ending it.

    Args:
        directory (str): The directory to clean, not recursively.
        min_age_s (float): How long a file must have been left alone. Defaults to 600.

    Returns:
        list[str]: The paths removed.
    """
    if os.name == 'nt':
        return []
    removed = []
    now = time.time()
    with os.scandir(directory) as entries:
        for entry in entries:
            match = _TEMPORARY.search(entry.name)
            if match is None or _alive(int(match.group(1))):
                continue
            try:
                if now - entry.stat().st_mtime >= min_age_s:
                    os.remove(entry.path)
                    removed.append(entry.path)
            except FileNotFoundError:  # removed meanwhile, by another rank's write
                pass
    return removed


def sync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable (POSIX; Windows cannot open a directory to sync)."""
    if os.name == 'nt':
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this host (signal 0 tests without sending)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _replace_local_backend() -> None:
    """Register :class:`AtomicLocalBackend` for local paths, and drop the plain local backends that
    :func:`mmengine.fileio.get_file_backend` cached before this module was imported
    (``enable_singleton=True``), so that a later call builds the atomic one instead of returning a
    cached plain one."""
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    cache = mmengine_io.backend_instances
    for key in [k for k, v in cache.items() if type(v) is LocalBackend]:
        del cache[key]


_replace_local_backend()
