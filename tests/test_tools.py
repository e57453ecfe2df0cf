# Copyright (c) semihand_mmpose authors. All rights reserved.
"""End to end through MMPose's CLI: train a few iterations, resume, test."""
import os
import os.path as osp
import re
import sys

import pytest
from cli_runner import ScriptRunner

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: runs `python tools/...` each in a process of its own, forked from one that has imported
#: PyTorch and the OpenMMLab packages already (8 s a run saved on 2 cores)
SCRIPTS = ScriptRunner()


def _run(args, cwd, expect_fail=False):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='2')
    returncode, stdout, stderr = SCRIPTS.run(args, cwd, env, timeout=600)
    output = stdout + stderr
    assert (returncode != 0) == expect_fail, output[-6000:]
    return output


def test_train_resume_and_test_through_the_cli(tmp_path, synthetic_root):
    work = str(tmp_path / 'work')
    small = [
        '--cfg-options', f'train_dataloader.dataset.data_root={synthetic_root}',
        'train_dataloader.dataset.num_samples=64', 'train_dataloader.batch_size=8',
        'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
        f'val_dataloader.dataset.datasets.0.data_root={synthetic_root}',
        f'val_dataloader.dataset.datasets.1.data_root={synthetic_root}',
        'val_dataloader.dataset.datasets.0.num_samples=16',
        'val_dataloader.dataset.datasets.1.num_samples=16',
        'model.backbone.depth=18', 'default_hooks.checkpoint.interval=2',
    ]
    cfg = osp.join(ROOT, 'configs', 'pretrain_synth.py')
    _run(['tools/train.py', cfg, '--work-dir', work] + small +
         ['train_cfg.max_iters=2', 'train_cfg.val_interval=2'], ROOT)
    assert osp.isfile(osp.join(work, 'iter_2.pth'))
    # resume continues from iteration 2 (needs MMEngine's torch.load fix on torch >= 2.6), even
    # with MMEngine's `last_checkpoint` pointer left empty, as a power cut can leave it, and
    # with a starting checkpoint given as an option (as a stage 2 gets its stage 1): a run
    # resumes from its own checkpoint, not from load_from (here a file that is not there)
    open(osp.join(work, 'last_checkpoint'), 'w').close()
    log = _run(['tools/train.py', cfg, '--work-dir', work, '--resume'] + small +
               ['train_cfg.max_iters=4', 'train_cfg.val_interval=4',
                f'load_from={tmp_path}/stage1_not_here.pth'], ROOT)
    assert 'last_checkpoint is empty; taking the newest checkpoint in the work dir instead' in log
    assert 'resumed epoch: 0, iter: 2' in log
    assert osp.isfile(osp.join(work, 'iter_4.pth'))
    out_json = str(tmp_path / 'metrics.json')
    log = _run(['tools/test.py', cfg, osp.join(work, 'iter_4.pth'), '--work-dir', work,
                '--out', out_json, '--show-dir', 'vis', '--interval', '5'] + small +
               [option.replace('val_dataloader', 'test_dataloader') for option in small
                if option.startswith('val_dataloader')] + ['test_dataloader.batch_size=6'], ROOT)
    assert 'synthetic_source/AUC' in log and 'synthetic_target/AUC' in log
    assert osp.isfile(out_json)
    vis = osp.join(work, [d for d in os.listdir(work) if osp.isdir(osp.join(work, d, 'vis'))][0],
                   'vis')
    # every fifth sample of the test (both domains, counted across batches of 6) is drawn, not
    # every sample as by MMPose's PoseVisualizationHook
    hands = sum(int(n) for n in re.findall(r'synthetic_\w+: (\d+) hands', log))
    assert hands == 32 and len(os.listdir(vis)) == 7


def test_test_py_tests_its_checkpoint_argument_whatever_the_options_say(capsys, monkeypatch):
    """MMPose's tools/test.py merges --cfg-options last, so `load_from` there used to replace the
    checkpoint under test without a word."""
    from mmengine.config import Config

    from tools import test as test_tool
    monkeypatch.setattr(sys, 'argv', [
        'tools/test.py', 'configs/pretrain_synth.py', 'trained.pth', '--cfg-options',
        'load_from=stage1.pth', 'train_cfg.max_iters=3'])
    args = test_tool.parse_args()
    cfg = test_tool.merge_args(Config.fromfile(osp.join(ROOT, args.config)), args)
    assert cfg.load_from == 'trained.pth' and cfg.train_cfg.max_iters == 3
    assert 'load_from=stage1.pth ignored' in capsys.readouterr().out


def test_test_py_badcase_points_at_the_3d_bad_case_drawing(monkeypatch):
    """MMPose's --badcase asserted a hook these configs cannot use (it ranks 2D keypoints): the
    flag now says what to run instead, before anything is built."""
    from mmengine.config import Config

    from tools import test as test_tool
    monkeypatch.setattr(sys, 'argv', ['tools/test.py', 'configs/pretrain_synth.py', 'trained.pth',
                                      '--badcase'])
    args = test_tool.parse_args()
    with pytest.raises(SystemExit, match='plot_predictions.py preds.pkl --pick worst'):
        test_tool.merge_args(Config.fromfile(osp.join(ROOT, args.config)), args)


def test_train_py_resuming_a_finished_run_says_so_and_builds_nothing(tmp_path, monkeypatch,
                                                                     capsys):
    """MMEngine would build the run, load and discard every batch it trained and train nothing:
    tools/train.py stops before building anything and says how to test or go on."""
    from tools import train as train_tool
    work = tmp_path / 'work'
    work.mkdir()
    (work / 'iter_4.pth').write_bytes(b'')  # only its name is read
    monkeypatch.setattr(train_tool.Runner, 'from_cfg',
                        lambda cfg: pytest.fail('a finished run was built'))
    config = osp.join(ROOT, 'configs', 'pretrain_synth.py')
    for resume in (['--resume'], ['--resume', str(work / 'iter_4.pth')]):
        monkeypatch.setattr(sys, 'argv', ['tools/train.py', config, '--work-dir', str(work)] +
                            resume + ['--cfg-options', 'train_cfg.max_iters=4'])
        train_tool.main()
        out = capsys.readouterr().out
        assert f'{work / "iter_4.pth"} is the end of this run (train_cfg.max_iters=4)' in out
        assert f'python tools/test.py {config} {work / "iter_4.pth"}' in out
    # a longer schedule resumes; so does a run that is not resumed
    args = ['tools/train.py', config, '--work-dir', str(work), '--cfg-options']
    for argv in (args[:4] + ['--resume'] + args[4:] + ['train_cfg.max_iters=6'],
                 args + ['train_cfg.max_iters=4']):
        monkeypatch.setattr(sys, 'argv', argv)
        cfg = train_tool.merge_args(train_tool.Config.fromfile(config), train_tool.parse_args())
        assert train_tool.finished_run(cfg, config) is None
