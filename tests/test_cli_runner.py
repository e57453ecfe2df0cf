# Copyright (c) semihand_mmpose authors. All rights reserved.
"""The end-to-end tests' script runner behaves as ``python SCRIPT ARGS`` would."""
import json
import os
import subprocess
import sys
import textwrap

import pytest
from test_tools import SCRIPTS

SCRIPT = textwrap.dedent('''
    import atexit, json, os, sys
    atexit.register(lambda: open('atexit.txt', 'w').write('ran'))
    print(json.dumps(dict(argv=sys.argv, cwd=os.getcwd(), path0=sys.path[0],
                          plugin='semihand_mmpose' in sys.modules, env=os.environ.get('PROBE'),
                          stdin=sys.stdin.read())))
    print('to stderr', file=sys.stderr)
    if sys.argv[1] == 'raise':
        raise ValueError('the message')
    if sys.argv[1] == 'sleep':
        import time
        time.sleep(60)
    sys.exit(int(sys.argv[1]))
''')


def _script(tmp_path):
    folder = tmp_path / 'scripts'
    folder.mkdir()
    (folder / 'probe.py').write_text(SCRIPT)
    return str(folder / 'probe.py')


@pytest.mark.parametrize('how', ['fork', 'fresh'])
def test_a_run_sees_what_a_fresh_interpreter_would(tmp_path, how):
    script = _script(tmp_path)
    env = dict(os.environ, PROBE='yes')
    if how == 'fork':
        returncode, out, err = SCRIPTS.run([script, '3'], str(tmp_path), env, timeout=60)
    else:
        proc = subprocess.run([sys.executable, script, '3'], cwd=str(tmp_path), env=env,
                              capture_output=True, text=True, timeout=60)
        returncode, out, err = proc.returncode, proc.stdout, proc.stderr
    seen = json.loads(out)
    assert returncode == 3 and err == 'to stderr\n'
    assert seen == dict(argv=[script, '3'], cwd=str(tmp_path), path0=os.path.dirname(script),
                        plugin=False, env='yes', stdin='')
    assert (tmp_path / 'atexit.txt').read_text() == 'ran'


def test_an_uncaught_exception_and_a_timeout(tmp_path):
    script = _script(tmp_path)
    returncode, _, err = SCRIPTS.run([script, 'raise'], str(tmp_path), dict(os.environ),
                                     timeout=60)
    assert returncode == 1 and 'ValueError: the message' in err and 'Traceback' in err
    with pytest.raises(subprocess.TimeoutExpired):
        SCRIPTS.run([script, 'sleep'], str(tmp_path), dict(os.environ), timeout=2)
    # the server goes on serving after a run it had to kill
    assert SCRIPTS.run([script, '0'], str(tmp_path), dict(os.environ), timeout=60)[0] == 0
