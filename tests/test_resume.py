# Copyright (c) semihand_mmpose authors. All rights reserved.
"""`tools/train.py --resume`: which checkpoint a run continues from."""
import os
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from semihand_mmpose.engine import resume


def _touch(path):
    open(path, 'wb').close()
    return str(path)


def _point(work_dir, target):
    with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(target)


def test_the_pointer_is_trusted_when_its_checkpoint_exists(tmp_path):
    _touch(tmp_path / 'iter_20.pth')
    named = _touch(tmp_path / 'iter_10.pth')  # not the newest: the pointer decides
    _point(tmp_path, named + '\n')
    assert resume.find_resume_checkpoint(str(tmp_path)) == named


@pytest.mark.parametrize('pointer', [None, '', '/elsewhere/work/iter_10.pth'],
                         ids=['missing', 'empty', 'moved'])
def test_an_untrustworthy_pointer_falls_back_to_the_newest_step(tmp_path, pointer, monkeypatch):
    logged = []
    monkeypatch.setattr(resume, 'print_log', lambda msg, **kwargs: logged.append(msg))
    for name in ('iter_9.pth', 'iter_10.pth', 'best_AUC_iter_30.pth', 'iter_40.pth.host.1.tmp'):
        _touch(tmp_path / name)
    (tmp_path / 'iter_50.pth').mkdir()  # not a file
    if pointer is not None:
        _point(tmp_path, pointer)
    # the largest step (10, not the lexically last 9); best and temporary files are not steps
    assert resume.find_resume_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_10.pth')
    expected = {None: 'does not exist', '': 'is empty',
                '/elsewhere/work/iter_10.pth': 'names /elsewhere/work/iter_10.pth'}[pointer]
    assert len(logged) == 1 and expected in logged[0]


def test_nothing_to_resume(tmp_path):
    assert resume.find_resume_checkpoint(str(tmp_path / 'never_made')) is None
    _point(tmp_path, '')
    assert resume.find_resume_checkpoint(str(tmp_path)) is None


def test_a_checkpoint_is_placed_in_the_schedule_of_its_own_kind():
    by_iters = dict(type='IterBasedTrainLoop', max_iters=300)
    by_epochs = dict(type='EpochBasedTrainLoop', max_epochs=3)
    assert resume.schedule_position('w/iter_200.pth', by_iters) == (200, 300, 'max_iters')
    assert resume.schedule_position('w/epoch_3.pth', by_epochs) == (3, 3, 'max_epochs')
    # an epoch is not compared with max_iters, nor an iteration with max_epochs
    assert resume.schedule_position('w/epoch_2.pth', by_iters) is None
    assert resume.schedule_position('w/iter_2.pth', by_epochs) is None
    assert resume.schedule_position('w/best_AUC_iter_30.pth', by_iters) is None
    assert resume.schedule_position('w/iter_2.pth', None) is None


def test_train_py_resumes_or_starts_as_configured(tmp_path, monkeypatch):
    """With nothing to resume the config's `load_from` stays (MMPose's tools/train.py set it to
    None, so stage 2 started without stage 1's weights); with a checkpoint the run resumes from
    it."""
    from tools import train as train_tool
    work = str(tmp_path / 'work')
    monkeypatch.setattr(sys, 'argv', ['tools/train.py', 'configs/semihand_synth_finetune.py',
                                      '--work-dir', work, '--resume'])
    args = train_tool.parse_args()

    def merged():
        return train_tool.merge_args(Config(dict(load_from='stage1/iter_850.pth')), args)

    cfg = merged()
    assert not cfg.resume and cfg.load_from == 'stage1/iter_850.pth'
    os.makedirs(work)
    newest = _touch(osp.join(work, 'iter_100.pth'))
    cfg = merged()
    assert cfg.resume and cfg.load_from == newest
