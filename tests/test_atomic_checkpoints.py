# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Checkpoints are whole or absent: a write that fails part-way (a full disk) keeps the old file."""
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest
import torch
from mmengine.fileio import get_file_backend

from semihand_mmpose.fileio import AtomicLocalBackend, remove_stale_temporaries

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


# Saves a 4 MB checkpoint with writes past 1 MB killing the process outright (SIGXFSZ at its
# default action, which CPython sets to ignore: no Python clean-up runs, as with the
# out-of-memory killer). argv: path.
KILLED_SCRIPT = textwrap.dedent('''
    import resource, signal, sys
    import torch
    import semihand_mmpose  # noqa: F401
    from mmengine.runner.checkpoint import save_checkpoint
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
    save_checkpoint({'w': torch.zeros(1 << 20)}, sys.argv[1])
''')


def _finished(*args: str) -> subprocess.Popen:
    """A Python process run to its end: its pid is then free on this host."""
    process = subprocess.Popen([sys.executable, *args])
    process.wait()
    return process


def test_a_later_write_removes_what_a_killed_process_left(tmp_path):
    killed = _finished('-c', KILLED_SCRIPT, str(tmp_path / 'iter_200.pth'))
    assert killed.returncode == -signal.SIGXFSZ
    host = socket.gethostname()
    left = tmp_path / f'iter_200.pth.{host}.{killed.pid}.tmp'
    assert os.listdir(tmp_path) == [left.name]  # no truncated iter_200.pth
    assert left.stat().st_size == 1 << 20
    # besides it: a file this process is writing, one of another host, one not ours at all
    ours = tmp_path / f'iter_300.pth.{host}.{os.getpid()}.tmp'
    other_host = tmp_path / f'iter_300.pth.another-{host}.{killed.pid}.tmp'
    not_ours = tmp_path / f'notes.{killed.pid}.tmp'
    for path in (ours, other_host, not_ours):
        path.write_bytes(b'x')
    an_hour_ago = time.time() - 3600
    for path in (left, ours, other_host, not_ours):
        os.utime(path, (an_hour_ago, an_hour_ago))
    backend = get_file_backend(str(tmp_path))
    backend.put(b'\x01', tmp_path / 'iter_100.pth')
    assert sorted(os.listdir(tmp_path)) == sorted(
        ['iter_100.pth', ours.name, other_host.name, not_ours.name])


def test_a_recent_temporary_file_of_a_gone_process_is_kept(tmp_path):
    """A process of the same host name in another PID namespace (a second container) may still be
    writing it: only files left alone for ``min_age_s`` go."""
    done = _finished('-c', 'pass')
    recent = tmp_path / f'iter_1.pth.{socket.gethostname()}.{done.pid}.tmp'
    recent.write_bytes(b'x')
    assert remove_stale_temporaries(str(tmp_path)) == []
    assert remove_stale_temporaries(str(tmp_path), min_age_s=0) == [str(recent)]
    assert os.listdir(tmp_path) == []


def test_the_file_is_on_disk_before_its_rename_and_the_rename_after_it(tmp_path, monkeypatch):
    """fsync of the temporary file, then the rename, then fsync of the directory: a power cut at
    any point leaves the old file or the whole new one under the real name."""
    from semihand_mmpose.fileio import atomic_local_backend as module
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(('fsync', os.path.realpath(f'/proc/self/fd/{fd}')
                       if os.path.exists('/proc/self/fd') else fd))
        real_fsync(fd)

    def replace(src, dst):
        events.append(('replace', os.path.basename(src), os.path.basename(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(module.os, 'fsync', fsync)
    monkeypatch.setattr(module.os, 'replace', replace)
    target = tmp_path / 'iter_1.pth'
    AtomicLocalBackend().put(b'\x01\x02', target)
    tmp_name = f'iter_1.pth.{socket.gethostname()}.{os.getpid()}.tmp'
    assert [event[0] for event in events] == ['fsync', 'replace', 'fsync']
    assert events[1] == ('replace', tmp_name, 'iter_1.pth')
    if os.path.exists('/proc/self/fd'):  # which file each fsync was given
        assert events[0][1] == str(tmp_path.resolve() / tmp_name)
        assert events[2][1] == str(tmp_path.resolve())
    assert target.read_bytes() == b'\x01\x02'


def test_a_plain_local_backend_cached_before_the_plugin_is_replaced():
    """A backend that mmengine cached (``enable_singleton=True``) before the plugin was imported
    is built again as the atomic one, not returned from the cache."""
    script = textwrap.dedent('''
        from mmengine.fileio import get_file_backend
        print(type(get_file_backend('/tmp/a.pth', enable_singleton=True)).__name__)
        import semihand_mmpose  # noqa: F401
        print(type(get_file_backend('/tmp/a.pth', enable_singleton=True)).__name__)
    ''')
    out = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ['LocalBackend', 'AtomicLocalBackend']
