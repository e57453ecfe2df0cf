# Copyright (c) semihand_mmpose authors. All rights reserved.
"""SemiHand through MMPose's CLI: burn-in, offline rounds, resume, and a broken round file."""
import glob
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from mmengine.config import Config

from semihand_mmpose.engine import (PseudoLabelFileError, check_round_shapes, dataset_fingerprint,
                                    load_round, read_round_log, save_round, write_round_log)
from semihand_mmpose.models.semi import select_joints
from test_tools import ROOT, _run


def _small(root):
    opts = []
    for prefix in ('train_dataloader.dataset.datasets.0', 'train_dataloader.dataset.datasets.1',
                   'custom_hooks.1.pseudo_dataloader.dataset', 'custom_hooks.1.label_dataset',
                   'val_dataloader.dataset.datasets.0', 'val_dataloader.dataset.datasets.1'):
        opts += [f'{prefix}.data_root={root}', f'{prefix}.num_samples=16']
    return ['--cfg-options'] + opts + [
        'load_from=None', 'custom_hooks.1.burn_in_iters=2', 'custom_hooks.1.round_interval=2',
        'custom_hooks.1.pseudo_dataloader.num_workers=0', 'train_dataloader.batch_size=8',
        'train_dataloader.sampler.batch_size=8', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False', 'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1']


def _one_command(root):
    """configs/semihand_synth.py (burn-in, then SemiHand) with a burn-in of 2 iterations."""
    return _small(root) + ['train_dataloader.sampler.burn_in_iters=2']


def test_semihand_rounds_resume_and_reject_a_truncated_round(tmp_path, synthetic_root):
    work = str(tmp_path / 'work')
    cfg = osp.join(ROOT, 'configs', 'semihand_synth.py')
    # burn-in on labelled-only batches for 2 iterations, then rounds after 2 and 4 iterations
    # (none at the last iteration, 5); each joint's best half of the kept samples is selected
    joints = ['model.semi_train_cfg.joint_selection.mode=top_fraction',
              'model.semi_train_cfg.joint_selection.value=0.5']
    log = _run(['tools/train.py', cfg, '--work-dir', work] + _one_command(synthetic_root) +
               joints + ['train_cfg.max_iters=5', 'train_cfg.val_interval=5'], ROOT)
    fine_tune_lr = Config.fromfile(cfg).fine_tune_lr
    assert f'burn-in done, optimiser restarted at lr {fine_tune_lr}' in log
    assert 'unlabelled losses on after 2 iterations' in log
    assert 'SemiHand round 1:' in log and 'movement_px' in log
    assert 'pseudo_epe2d_kept_px' in log
    # validated before the unlabelled losses switch on (before round 0) and at the end
    before, first_round = log.index('evaluating before adaptation'), log.index('SemiHand round 0:')
    assert 'synthetic_target/AUC' in log[before:first_round]
    assert 'synthetic_target/AUC' in log[log.index('SemiHand round 1:'):]
    assert 'loss_pseudo_coord' in log and 'loss_pert' in log and 'loss_xmodal' in log
    assert 'synthetic_target/AUC' in log
    rounds = sorted(glob.glob(osp.join(work, 'pseudo_labels', 'round_*.pth')))
    assert [osp.basename(r) for r in rounds] == ['round_000.pth', 'round_001.pth']
    labels = torch.load(rounds[0], weights_only=False)
    assert 'kept_joints' in log
    assert torch.equal(labels['keep_joints'], select_joints(labels['confidence'], 'top_fraction',
                                                            0.5) & labels['keep'][:, None])
    # a round written before joint selection existed (no keep_joints) resumes all the same
    latest = torch.load(rounds[1], weights_only=False)
    del latest['keep_joints']
    torch.save(latest, rounds[1])
    log = _run(['tools/train.py', cfg, '--work-dir', work, '--resume'] +
               _one_command(synthetic_root) + joints +
               ['train_cfg.max_iters=7', 'train_cfg.val_interval=7'], ROOT)
    assert 'resumed with pseudo-labels of' in log and 'round_001.pth' in log
    rounds = sorted(glob.glob(osp.join(work, 'pseudo_labels', 'round_*.pth')))
    assert osp.basename(rounds[-1]) == 'round_002.pth'  # the resumed run went on with rounds
    # a truncated round file is refused with its name, not silently used
    with open(rounds[-1], 'r+b') as f:
        f.truncate(100)
    proc_log = _run(['tools/train.py', cfg, '--work-dir', work, '--resume'] +
                    _one_command(synthetic_root) + ['train_cfg.max_iters=9'], ROOT,
                    expect_fail=True)
    assert 'round_002.pth cannot be read' in proc_log


def test_a_resumed_run_ends_with_the_weights_of_the_uninterrupted_one(tmp_path, synthetic_root):
    """configs/semihand_synth.py (burn-in, rounds after 2 and 4 iterations) run to 6, and the same
    run stopped after 4 (its checkpoint and rounds copied as they were then) and resumed: with the
    data loaded in the training process (num_workers=0) the augmentations draw from its global
    generators: without RandomStateHook this fails (over 8 iterations resumed after 4, 129 of the
    308 tensors differed, by up to 0.6)."""
    cfg = osp.join(ROOT, 'configs', 'semihand_synth.py')
    run = ['tools/train.py', cfg] + _one_command(synthetic_root) + [
        'train_cfg.max_iters=6', 'train_cfg.val_interval=6',
        'default_hooks.checkpoint.max_keep_ckpts=-1']
    whole, stopped = tmp_path / 'whole', tmp_path / 'stopped'
    _run(run[:2] + ['--work-dir', str(whole)] + run[2:], ROOT)
    (stopped / 'pseudo_labels').mkdir(parents=True)
    shutil.copy(whole / 'iter_4.pth', stopped)
    for name in ('round_000.pth', 'round_001.pth'):
        shutil.copy(whole / 'pseudo_labels' / name, stopped / 'pseudo_labels')
    rounds_log = osp.join('pseudo_labels', 'rounds.json')
    write_round_log(str(stopped / rounds_log), read_round_log(str(whole / rounds_log), 2))
    log = _run(run[:2] + ['--work-dir', str(stopped), '--resume'] + run[2:], ROOT)
    assert 'resumed epoch: 0, iter: 4' in log and 'round_001.pth' in log
    _assert_same_weights(whole / 'iter_6.pth', stopped / 'iter_6.pth')
    # stopped between the round after 4 iterations and the checkpoint of 4 (as the one-command
    # config, which saves at the end of burn-in and of training only, stops anywhere in stage 2):
    # that round is on disk but belongs to iterations the run trains again from the checkpoint
    # of 2: trained on, it left 129 of the 308 tensors different (by up to 0.18) and a third round
    early = tmp_path / 'early'
    shutil.copytree(whole / 'pseudo_labels', early / 'pseudo_labels')
    shutil.copy(whole / 'iter_2.pth', early)
    log = _run(run[:2] + ['--work-dir', str(early), '--resume'] + run[2:], ROOT)
    assert 'resumed epoch: 0, iter: 2' in log
    assert f"resumed with pseudo-labels of {early / 'pseudo_labels' / 'round_000.pth'}" in log
    assert 'round_001.pth came after the checkpoint of iteration 2' in log
    _assert_same_weights(whole / 'iter_6.pth', early / 'iter_6.pth')
    assert sorted(os.listdir(early / 'pseudo_labels')) == sorted(
        os.listdir(whole / 'pseudo_labels'))  # the round of 4 made again, not a third one
    assert read_round_log(str(early / rounds_log), 3) == read_round_log(str(whole / rounds_log), 3)


def _assert_same_weights(first, second):
    """Both checkpoints hold the same tensors, bit for bit; returns the first's state dict."""
    ends = [torch.load(path, weights_only=False)['state_dict'] for path in (first, second)]
    assert ends[0].keys() == ends[1].keys()
    for name, tensor in ends[0].items():
        assert torch.equal(tensor, ends[1][name]), name
    return ends[0]


def test_a_round_of_the_wrong_shape_is_refused():
    n = 4
    good = dict(ids=torch.arange(n), uv=torch.zeros(n, 21, 2), z_rel=torch.zeros(n, 21),
                confidence=torch.ones(n, 21), keep=torch.ones(n, dtype=torch.bool),
                keep_joints=torch.ones(n, 21, dtype=torch.bool), fingerprint='x')
    check_round_shapes(good, n, 'round_000.pth')
    old = {k: v for k, v in good.items() if k != 'keep_joints'}  # before joint selection
    check_round_shapes(old, n, 'round_000.pth')
    # one keep flag for the whole set would broadcast into every sample's selection
    with pytest.raises(PseudoLabelFileError,
                       match=r'round_001.pth: keep has shape \(\), expected \(4,\)'):
        check_round_shapes(dict(good, keep=torch.tensor(True)), n, 'round_001.pth')
    with pytest.raises(PseudoLabelFileError, match=r'z_rel has shape \(3, 21\)'):
        check_round_shapes(dict(good, z_rel=torch.zeros(3, 21)), n, 'round_001.pth')
    # a round of another set's size
    with pytest.raises(PseudoLabelFileError, match=r'ids has shape \(4,\), expected \(5,\)'):
        check_round_shapes(good, n + 1, 'round_001.pth')


def test_a_round_goes_to_disk_and_back_whole_or_not_at_all(tmp_path):
    """save_round / load_round: exact arrays back, nothing half-written left, and a round of
    another set, without a field, or cut short refused with the file's name."""
    n, rng = 3, np.random.default_rng(0)
    fingerprint = dataset_fingerprint([7, 3, 9])
    labels = dict(ids=np.array([7, 3, 9]), uv=rng.random((n, 21, 2)), z_rel=rng.random((n, 21)),
                  confidence=rng.random((n, 21)), keep=np.array([True, False, True]),
                  keep_joints=rng.random((n, 21)) > 0.5, iter=np.array(4),
                  fingerprint=np.array(fingerprint))
    path = str(tmp_path / 'pseudo_labels' / 'round_000.pth')
    save_round(path, labels)
    assert sorted(os.listdir(tmp_path / 'pseudo_labels')) == ['round_000.pth']
    back = load_round(path, fingerprint, n)
    assert back['fingerprint'] == fingerprint
    for key in ('ids', 'uv', 'z_rel', 'confidence', 'keep', 'keep_joints', 'iter'):
        np.testing.assert_array_equal(back[key], labels[key])
    # the same images in another order are another set
    assert dataset_fingerprint([3, 7, 9]) != fingerprint
    with pytest.raises(PseudoLabelFileError, match='round_000.pth was made for another'):
        load_round(path, dataset_fingerprint([3, 7, 9]), n)
    with pytest.raises(PseudoLabelFileError, match=r'ids has shape \(3,\), expected \(4,\)'):
        load_round(path, fingerprint, n + 1)
    save_round(path, {k: v for k, v in labels.items() if k != 'confidence'})
    with pytest.raises(PseudoLabelFileError, match=r"round_000.pth lacks \['confidence'\]"):
        load_round(path, fingerprint, n)
    with open(path, 'r+b') as f:
        f.truncate(50)
    with pytest.raises(PseudoLabelFileError, match='round_000.pth cannot be read'):
        load_round(path, fingerprint, n)
    # the rounds' statistics: a row missing for a round written last is filled in, extra ones cut
    log = str(tmp_path / 'pseudo_labels' / 'rounds.json')
    write_round_log(log, [dict(round=0, kept=0.7)])
    assert read_round_log(log, 2) == [dict(round=0, kept=0.7), dict(round=1)]
    assert read_round_log(log, 0) == []
    assert read_round_log(str(tmp_path / 'none.json'), 1) == [dict(round=0)]
    # written atomically, so only an edit breaks it: the error names the file and the way on
    for text in ('[{"round": 0, "kept": 0.7}', '{"round": 0}'):
        with open(log, 'w') as f:
            f.write(text)
        with pytest.raises(PseudoLabelFileError, match=r'rounds.json is not a JSON list .*remove'):
            read_round_log(log, 1)


def test_a_round_that_keeps_nothing_is_logged_as_a_warning(tmp_path, caplog):
    """A selection that keeps no joint makes the pseudo-label loss 0 until the next round: the
    round says so, with the setting to change, instead of training on silently. So does a round
    where more than ``warn_zero_confidence`` of the hands are unusable (a wrong camera)."""
    import logging
    from types import SimpleNamespace

    from mmengine.logging import MessageHub

    from semihand_mmpose.engine import SemiHandHook
    runner = SimpleNamespace(work_dir=str(tmp_path), logger=logging.getLogger('semihand_test'),
                             message_hub=MessageHub.get_instance('semihand_test'))
    hook = SemiHandHook(pseudo_dataloader=dict())
    n = 4
    labels = dict(ids=np.arange(n), uv=np.zeros((n, 21, 2)), z_rel=np.zeros((n, 21)),
                  confidence=np.full((n, 21), 0.3), keep=np.zeros(n, bool),
                  keep_joints=np.zeros((n, 21), bool))
    with caplog.at_level(logging.INFO, logger='semihand_test'):
        hook._log_round(runner, 0, labels)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and 'round 0 keeps no pseudo-label' in warnings[0]
    assert 'mean confidence 0.3000' in warnings[0] and 'selection.value' in warnings[0]
    assert 'zero_confidence' not in caplog.text
    caplog.clear()
    labels['keep'][1] = labels['keep_joints'][1, 0] = True
    labels['confidence'][3] = 0.0  # a hand the labeller could not use
    with caplog.at_level(logging.INFO, logger='semihand_test'):
        hook._log_round(runner, 1, labels)
    assert 'SemiHand round 1: kept: 0.2500' in caplog.text
    assert 'zero_confidence: 0.2500' in caplog.text
    assert [row['round'] for row in read_round_log(
        osp.join(tmp_path, 'pseudo_labels', 'rounds.json'), 2)] == [0, 1]
    # a quarter of the hands unusable is far above a right camera's share: warned, naming K
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and 'round 1: 25.0% of the hands get confidence 0' in warnings[0]
    assert 'camera K' in warnings[0]
    caplog.clear()
    hook = SemiHandHook(pseudo_dataloader=dict(), warn_zero_confidence=0.25)
    with caplog.at_level(logging.INFO, logger='semihand_test'):
        hook._log_round(runner, 1, labels)
    assert 'zero_confidence: 0.2500' in caplog.text
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


def test_online_steps_with_many_unusable_hands_are_warned_once(caplog):
    """Online, each step logs its batch's ``pseudo_zero_confidence``; the hook averages the last
    ``ONLINE_WINDOW`` steps (a window sliding by one step) before comparing, so one unusable hand
    in one batch of 16 (6%) does not warn. After a clean window, steps with a quarter of the hands
    unusable warn at the first step where the window's mean passes 0.05: the 11th (11 x 0.25 / 50
    = 0.055; 10 give exactly 0.05), once a run."""
    import logging
    from types import SimpleNamespace

    from semihand_mmpose.engine import SemiHandHook
    window = SemiHandHook.ONLINE_WINDOW
    runner = SimpleNamespace(model=torch.nn.Linear(1, 1), iter=10, max_iters=10 ** 6,
                             logger=logging.getLogger('semihand_online_test'))
    hook = SemiHandHook(mode='online')

    def step(unusable: float) -> None:
        hook.after_train_iter(runner, 0, outputs=dict(pseudo_zero_confidence=unusable))

    with caplog.at_level(logging.WARNING, logger='semihand_online_test'):
        for unusable in [1 / 16] + [0.0] * (2 * window - 1):
            step(unusable)
        for _ in range(10):
            step(0.25)
        assert not caplog.records
        step(0.25)
        assert len(caplog.records) == 1
        for _ in range(2 * window):
            step(0.25)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and 'online steps: 5.5% of the hands get confidence 0' in warnings[0]
    assert 'camera K' in warnings[0]


def test_online_mean_teacher_mode_and_its_resume(tmp_path, synthetic_root):
    """configs/semihand_synth_online.py with a burn-in of 2 iterations, run to 6; then the same run
    resumed from its checkpoint after 4 ends with the same student and EMA teacher, bit for bit:
    a resumed run keeps the teacher of its checkpoint (the end of burn-in copies the student into
    the teacher only in a run that starts there). It validates with the target images' batch-norm
    statistics, as the offline configs do, and its teacher's statistics start from the
    unlabelled images' and follow the student's."""
    whole, stopped = tmp_path / 'whole', tmp_path / 'stopped'
    cfg = osp.join(ROOT, 'configs', 'semihand_synth_online.py')
    small = [o for o in _small(synthetic_root) if 'label_dataset' not in o]
    run = ['tools/train.py', cfg] + small + ['train_cfg.max_iters=6', 'train_cfg.val_interval=6',
                                             'default_hooks.checkpoint.max_keep_ckpts=-1']
    log = _run(run[:2] + ['--work-dir', str(whole)] + run[2:], ROOT)
    assert 'unlabelled losses on after 2 iterations (online pseudo-labels)' in log
    assert 'loss_pseudo_coord' in log and 'synthetic_target/AUC' in log
    assert 'pseudo_kept' in log and 'pseudo_confidence' in log and 'pseudo_zero_confidence' in log
    assert 'the teacher starts with batch-norm statistics of the unlabelled images' in log
    # validated before adaptation and at the end, with the target images' statistics (AdaBN)
    assert log.count('evaluating with batch-norm statistics of the unlabelled images') == 2
    assert not osp.exists(whole / 'pseudo_labels')
    stopped.mkdir()
    shutil.copy(whole / 'iter_4.pth', stopped)
    log = _run(run[:2] + ['--work-dir', str(stopped), '--resume'] + run[2:], ROOT)
    assert 'resumed epoch: 0, iter: 4' in log and 'evaluating before adaptation' not in log
    assert 'the teacher starts' not in log
    end = _assert_same_weights(whole / 'iter_6.pth', stopped / 'iter_6.pth')
    assert any(k.startswith('teacher.') for k in end)
    # the teacher starts as the student with the unlabelled images' batch-norm statistics
    # (AdaBN), and they follow the student's from then on (MeanTeacherHook's skip_buffer=False)
    burn_in_end = torch.load(whole / 'iter_2.pth', weights_only=False)['state_dict']
    weight, stat = 'teacher.backbone.conv1.weight', 'teacher.backbone.bn1.running_mean'
    torch.testing.assert_close(burn_in_end[weight],
                               burn_in_end[weight.replace('teacher', 'student')])
    assert not torch.allclose(burn_in_end[stat], burn_in_end[stat.replace('teacher', 'student')])
    assert not torch.allclose(end[stat], burn_in_end[stat])


def test_stage_two_without_its_checkpoint_says_how_to_make_it(tmp_path, synthetic_root):
    cfg = osp.join(ROOT, 'configs', 'semihand_synth_finetune.py')
    missing = str(tmp_path / 'no_such_checkpoint.pth')
    opts = [o if o != 'load_from=None' else f'load_from={missing}' for o in _small(synthetic_root)]
    log = _run(['tools/train.py', cfg, '--work-dir', str(tmp_path / 'work')] + opts +
               ['train_cfg.max_iters=2'], ROOT, expect_fail=True)
    assert f'load_from={missing} does not exist' in log
    assert 'python tools/train.py configs/pretrain_synth.py' in log
