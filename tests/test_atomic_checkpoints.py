# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Checkpoints are whole or absent: a write that fails part-way (a full disk) keeps the old file."""
import os
import subprocess
import sys
import textwrap

import pytest
import torch
from mmengine.fileio import get_file_backend

from semihand_mmpose.engine.atomic_local_backend import AtomicLocalBackend

resource = pytest.importorskip('resource')

# Saves a small checkpoint, then a 4 MB one with writes past 1 MB failing (RLIMIT_FSIZE: EFBIG,
# what a disk that fills up part-way gives), through mmengine's save_checkpoint, the function
# CheckpointHook's runner.save_checkpoint calls. argv: path, 'plugin' or 'mmengine'.
SCRIPT = textwrap.dedent('''
    import resource, signal, sys
    import torch
    if sys.argv[2] == 'plugin':
        import semihand_mmpose  # noqa: F401
    from mmengine.runner.checkpoint import save_checkpoint
    save_checkpoint({'w': torch.arange(10.)}, sys.argv[1])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
    try:
        save_checkpoint({'w': torch.zeros(1 << 20)}, sys.argv[1])
    except OSError as e:
        print('write failed, errno', e.errno)
''')


def _save_on_a_full_disk(tmp_path, mode):
    path = tmp_path / 'iter_200.pth'
    out = subprocess.run([sys.executable, '-c', SCRIPT, str(path), mode], capture_output=True,
                         text=True, check=True).stdout
    return path, out


def test_the_plugin_writes_local_files_through_the_atomic_backend(tmp_path):
    backend = get_file_backend(str(tmp_path / 'iter_1.pth'))
    assert isinstance(backend, AtomicLocalBackend)
    backend.put(b'\x00\x01', tmp_path / 'sub' / 'iter_1.pth')
    backend.put_text('h\u00e9', tmp_path / 'sub' / 'last.txt')
    assert (tmp_path / 'sub' / 'iter_1.pth').read_bytes() == b'\x00\x01'
    assert (tmp_path / 'sub' / 'last.txt').read_text(encoding='utf-8') == 'h\u00e9'
    assert sorted(os.listdir(tmp_path / 'sub')) == ['iter_1.pth', 'last.txt']


def test_a_checkpoint_write_that_fails_keeps_the_previous_file_whole(tmp_path):
    path, out = _save_on_a_full_disk(tmp_path, 'plugin')
    assert 'write failed, errno 27' in out  # EFBIG
    # the old checkpoint is untouched and nothing else is left in the directory
    torch.testing.assert_close(torch.load(path, weights_only=True)['w'], torch.arange(10.))
    assert os.listdir(tmp_path) == ['iter_200.pth']


def test_without_the_plugin_mmengine_leaves_a_truncated_checkpoint(tmp_path):
    """The failure the atomic backend prevents, so the test above can fail."""
    path, out = _save_on_a_full_disk(tmp_path, 'mmengine')
    assert 'write failed, errno 27' in out
    assert os.path.getsize(path) == 1 << 20
    with pytest.raises(Exception):
        torch.load(path, weights_only=True)
