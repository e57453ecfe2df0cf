# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Run this project's command-line tools each in a process of its own, without paying for the
imports every time.

The end-to-end tests run ``python tools/train.py ...`` and ``python tools/test.py ...`` some twenty
times. A fresh interpreter spends about 8 s of a 2-core machine importing PyTorch, MMEngine, MMPose
and MMDetection before a tool does anything: nearly half of the suite's time went there. Here one
server process imports those packages once and forks a child for every run, which executes the
script as ``__main__`` with the run's arguments, working directory and environment, its standard
output and error in files, and exits as the interpreter would (``atexit`` handlers, flushed logs,
the exit status of an uncaught exception or ``sys.exit``).

What the server imports is third-party only and runs nothing: no tensor operation (so no thread
pool exists to be broken by the fork) and not this project, which every run imports itself (the
tools import it, the configs' ``custom_imports`` register it), as a user's run does. Each run gets
its own environment, but what the preloaded packages read from it on import (``OMP_NUM_THREADS``,
``PYTHONPATH``) comes from the first run's, which starts the server: the tests give every run the
same. Where ``os.fork`` does not exist, each run starts a fresh interpreter.

Run as a script, this module is the server: it reads one JSON request a line on its standard input
and answers with the child's exit status once it has ended.
"""
import atexit
import json
import os
import os.path as osp
import runpy
import signal
import subprocess
import sys
import tempfile
import time
from typing import List, Tuple

#: imported by the server before it forks: what the tools import before they do anything
PRELOAD = ('torch', 'cv2', 'mmengine.runner', 'mmcv.transforms', 'mmcv.cnn', 'mmpose.apis',
           'mmpose.models', 'mmpose.datasets', 'mmpose.evaluation', 'mmpose.engine',
           'mmdet.models', 'mmdet.datasets', 'mmdet.engine')


# ------------------------------------------------------------------------------ the server
def _serve() -> None:
    """Fork a child for each request on stdin until it closes; kill one that runs past its
    ``timeout``."""
    import importlib
    for name in PRELOAD:
        importlib.import_module(name)
    replies = os.fdopen(os.dup(sys.stdout.fileno()), 'w')
    while True:
        line = sys.stdin.readline()
        if not line:
            return
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            replies.close()
            _run_script(request)  # does not return
        deadline = time.monotonic() + request['timeout']
        timed_out = False
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if not timed_out and time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                timed_out = True
            time.sleep(0.05)
        replies.write(json.dumps(dict(returncode=os.waitstatus_to_exitcode(status),
                                      timed_out=timed_out)) + '\n')
        replies.flush()


def _run_script(request: dict) -> None:
    """In the forked child: become ``python SCRIPT ARGS...`` run in ``cwd`` with ``env``."""
    os.chdir(request['cwd'])
    os.environ.clear()
    os.environ.update(request['env'])
    for fd, path in ((1, request['stdout']), (2, request['stderr'])):
        out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(out, fd)
        os.close(out)
    # the server's request pipe is not the tool's input
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    script = request['args'][0]
    sys.argv = list(request['args'])
    # as the interpreter does for `python SCRIPT`: the script's folder first on the path
    sys.path[0] = osp.dirname(osp.realpath(script))
    runpy.run_path(script, run_name='__main__')
    # an uncaught exception or SystemExit leaves through the interpreter's own exit instead
    sys.exit(0)


# ------------------------------------------------------------------------------ the client
class ScriptRunner:
    """Runs scripts through one server process (started on first use)."""

    def __init__(self) -> None:
        self._server = None
        self._server_log = None
        atexit.register(self.close)

    def _start(self, env: dict) -> subprocess.Popen:
        if self._server is None or self._server.poll() is not None:
            self._server_log = tempfile.TemporaryFile(mode='w+')
            self._server = subprocess.Popen(
                [sys.executable, osp.abspath(__file__)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=self._server_log, env=env, text=True)
        return self._server

    def close(self) -> None:
        if self._server is not None and self._server.poll() is None:
            self._server.stdin.close()
            self._server.wait(timeout=60)

    def run(self, args: List[str], cwd: str, env: dict, timeout: float) -> Tuple[int, str, str]:
        """``python ARGS`` in ``cwd`` with ``env``: (exit status, stdout, stderr). A run past
        ``timeout`` seconds is killed and raises ``subprocess.TimeoutExpired``."""
        if not hasattr(os, 'fork'):
            proc = subprocess.run([sys.executable] + args, cwd=cwd, env=env, capture_output=True,
                                  text=True, timeout=timeout)
            return proc.returncode, proc.stdout, proc.stderr
        server = self._start(env)
        with tempfile.TemporaryDirectory() as tmp:
            out, err = osp.join(tmp, 'stdout'), osp.join(tmp, 'stderr')
            server.stdin.write(json.dumps(dict(args=args, cwd=cwd, env=env, stdout=out,
                                               stderr=err, timeout=timeout)) + '\n')
            server.stdin.flush()
            line = server.stdout.readline()
            if not line:
                self._server_log.seek(0)
                raise RuntimeError('the script server stopped:\n' +
                                   self._server_log.read()[-6000:])
            reply = json.loads(line)
            if reply['timed_out']:
                raise subprocess.TimeoutExpired(args, timeout)
            with open(out) as f_out, open(err) as f_err:
                return reply['returncode'], f_out.read(), f_err.read()


if __name__ == '__main__':
    _serve()
