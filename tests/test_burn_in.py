# Copyright (c) semihand_mmpose authors. All rights reserved.
"""One config from nothing: labelled-only burn-in batches, their preprocessing, and the learning
rate when the optimiser restarts for fine-tuning."""
import os.path as osp
import time
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.hooks import IterTimerHook
from mmengine.logging import MessageHub, MMLogger
import mmengine.optim  # noqa: F401  (registers the schedulers)
from mmengine.registry import PARAM_SCHEDULERS
from mmengine.structures import InstanceData
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample
from torch.utils.data import Dataset

from semihand_mmpose.datasets.samplers import BurnInMultiSourceSampler
from semihand_mmpose.engine.hooks import SemiHandHook

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


class _Range(Dataset):

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


def _batches(sampler, n, batch_size):
    it = iter(sampler)
    return [[next(it) for _ in range(batch_size)] for _ in range(n)]


def test_burn_in_batches_are_labelled_only_then_mixed():
    data = torch.utils.data.ConcatDataset([_Range(10), _Range(7)])  # labelled 0-9, unlabelled 10-16
    sampler = BurnInMultiSourceSampler(data, batch_size=4, source_ratio=[1, 1], burn_in_iters=3,
                                       seed=0)
    batches = _batches(sampler, 6, 4)
    assert all(i < 10 for b in batches[:3] for i in b)
    for b in batches[3:]:
        assert sum(i < 10 for i in b) == 2 and sum(i >= 10 for i in b) == 2
    # labelled hands go on from where burn-in left them: 12 burn-in + 2 draws = 14 > 10, one pass
    # of the permutation done, so every labelled index has been seen
    assert set(i for b in batches[:3] for i in b) | set(batches[3][:2]) == set(range(10))
    # without burn-in it is mmdet's sampler
    plain = BurnInMultiSourceSampler(data, batch_size=4, source_ratio=[1, 1], seed=0)
    from mmdet.datasets.samplers import MultiSourceSampler
    assert _batches(plain, 5, 4) == _batches(MultiSourceSampler(data, 4, [1, 1], seed=0), 5, 4)


def test_burn_in_ratio_is_checked():
    data = torch.utils.data.ConcatDataset([_Range(4), _Range(4)])
    with pytest.raises(ValueError, match='burn_in_ratio must hold 2'):
        BurnInMultiSourceSampler(data, 4, [1, 1], burn_in_iters=2, burn_in_ratio=[0, 0])


def _sample(branch_fields, branch):
    """One sample as mmdet's MultiBranch packs it: ``None`` in the branches it has no view for."""
    img = torch.full((3, 8, 8), 100, dtype=torch.uint8)
    return dict(inputs={b: img if b == branch else None for b in branch_fields},
                data_samples={b: PoseDataSample(gt_instances=InstanceData()) if b == branch
                              else None for b in branch_fields})


def test_preprocessor_leaves_out_branches_no_sample_has():
    branches = ['sup', 'unsup_student', 'unsup_teacher']
    pre = MODELS.build(dict(type='SemiHandDataPreprocessor', data_preprocessor=dict(
        type='mmpose.PoseDataPreprocessor', mean=[100.0] * 3, std=[2.0] * 3)))
    out = pre(pseudo_collate([_sample(branches, 'sup') for _ in range(2)]), True)
    assert list(out['inputs']) == ['sup'] and out['inputs']['sup'].shape == (2, 3, 8, 8)
    assert float(out['inputs']['sup'].abs().max()) == 0.0  # (100 - 100) / 2
    out = pre(pseudo_collate([_sample(branches, b) for b in branches]), True)
    assert sorted(out['inputs']) == branches
    assert all(len(out['data_samples'][b]) == 1 for b in branches)


def _learning_rates(cfg, hook=None, multiples=(1.0, )):
    """The rate of every iteration of ``cfg``'s schedule, with ``hook`` at the end of burn-in: one
    list per parameter group, each built at ``cfg``'s rate times its multiple (as a
    ``paramwise_cfg``'s ``lr_mult`` or MMEngine's ``--auto-scale-lr`` build them)."""
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in multiples]
    lr = cfg.optim_wrapper.optimizer.lr
    optimizer = torch.optim.Adam([dict(params=[p], lr=lr * m) for p, m in zip(params, multiples)],
                                 lr=lr)
    schedulers = [PARAM_SCHEDULERS.build(dict(s, optimizer=optimizer))
                  for s in cfg.param_scheduler]
    runner = SimpleNamespace(optim_wrapper=SimpleNamespace(optimizer=optimizer), cfg=cfg,
                             logger=MMLogger.get_current_instance())
    rates = [[] for _ in multiples]
    for step in range(1, cfg.train_cfg.max_iters + 1):
        for group, group_rates in zip(optimizer.param_groups, rates):
            group_rates.append(group['lr'])
        for param in params:
            param.grad = torch.ones(1)
        optimizer.step()
        if hook is not None and step == hook.burn_in_iters:
            assert optimizer.state  # Adam's moments exist before the restart...
            hook._restart_optimizer(runner)
            assert not optimizer.state  # ...and are gone after it
        for s in schedulers:
            s.step()
    return rates


def test_one_config_schedule_is_pretraining_then_fine_tuning():
    one = Config.fromfile(osp.join(ROOT, 'configs', 'semihand_synth.py'))
    pre = Config.fromfile(osp.join(ROOT, 'configs', 'pretrain_synth.py'))
    fine = Config.fromfile(osp.join(ROOT, 'configs', 'semihand_synth_finetune.py'))
    hook_cfg = dict(one.custom_hooks[1])
    hook_cfg.pop('type')
    hook = SemiHandHook(**hook_cfg)
    burn_in = hook.burn_in_iters
    assert burn_in == one.train_dataloader.sampler.burn_in_iters
    # the one command's burn-in is stage 1 at its own length: the same warm-up, the cosine decay
    # to the same floor over the shorter run
    assert burn_in <= pre.train_cfg.max_iters
    warm_up, cosine = pre.param_scheduler
    pre.param_scheduler[1] = dict(cosine, end=burn_in, T_max=burn_in - warm_up.end)
    pre.train_cfg.max_iters = burn_in
    rates, = _learning_rates(one, hook)
    assert len(rates) == burn_in + fine.train_cfg.max_iters
    torch.testing.assert_close(rates[:burn_in], _learning_rates(pre)[0], rtol=1e-9, atol=0)
    torch.testing.assert_close(rates[burn_in:], _learning_rates(fine)[0], rtol=1e-9, atol=0)
    # stage 2 restarts at a tenth of its own rate (the one-command's fine_tune_lr) and warms up
    # to it in 50 iterations
    lr = fine.optim_wrapper.optimizer.lr
    assert one.fine_tune_lr == lr
    assert rates[burn_in] == pytest.approx(0.1 * lr) and rates[burn_in + 50] == pytest.approx(lr)
    # groups at other multiples of the configured rate (lr_mult, --auto-scale-lr's batch ratio)
    # keep them in stage 2, as two separate stages would; restarted at fine_tune_lr itself, the
    # group at 0.1 ran stage 2 ten times too fast and the scaled one at half its rate
    multiples = (0.1, 2.0)
    for rates, separate_1, separate_2 in zip(_learning_rates(one, hook, multiples),
                                             _learning_rates(pre, None, multiples),
                                             _learning_rates(fine, None, multiples)):
        torch.testing.assert_close(rates, separate_1 + separate_2, rtol=1e-9, atol=0)


@pytest.mark.parametrize('option, value', [('round_interval', 0), ('round_interval', 2.5),
                                           ('burn_in_iters', -1), ('warn_zero_confidence', 5),
                                           ('warn_zero_confidence', -0.1)])
def test_a_schedule_that_cannot_run_is_refused(option, value):
    """A round every 0 iterations would divide by zero at the first step after burn-in; a
    negative or fractional count is a typo, not a schedule; a warning share outside [0, 1]
    (5 meant as percent) would never or always warn."""
    with pytest.raises(ValueError, match=f'{option} .*got {value}'):
        SemiHandHook(mode='online', **{option: value})


def test_a_burn_in_as_long_as_the_run_is_warned_and_makes_no_round(caplog):
    """burn_in_iters >= max_iters: a run of labelled data only. Said at the start; at its last
    iteration no optimiser restart, no evaluation before adaptation and no round of the whole
    unlabelled set (minutes) for a stage 2 that never comes."""
    import logging

    logger = logging.getLogger('semihand_burn_in_check')
    made = []
    for burn_in, max_iters in ((4, 4), (6, 4), (3, 4)):
        hook = SemiHandHook(pseudo_dataloader=dict(), burn_in_iters=burn_in)
        hook._restart_optimizer = lambda runner: made.append(('restart', burn_in))
        hook._enable = lambda runner, model, resumed, step: made.append(('enable', burn_in))
        runner = SimpleNamespace(hooks=[], logger=logger, iter=0, max_iters=max_iters,
                                 model=SimpleNamespace(predict_on='student'),
                                 message_hub=MessageHub.get_instance('semihand_burn_in_check'))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger='semihand_burn_in_check'):
            hook.before_train(runner)
        assert ('never switch on' in caplog.text) == (burn_in >= max_iters)
        for runner.iter in range(max_iters):
            hook.after_train_iter(runner, runner.iter)
    assert made == [('restart', 3), ('enable', 3)]


def test_the_end_of_burn_in_and_a_round_are_not_timed_as_an_iteration():
    """MMEngine's IterTimerHook times an iteration from the end of the one before: the evaluation
    and round at the end of burn-in, and every later round, were logged as the next iteration's
    data time, and the evaluation's own ETA (0) was logged as the training one. The work still
    counts into the time per iteration the ETA extrapolates."""
    timer = IterTimerHook()
    hook = SemiHandHook(pseudo_dataloader=dict(), burn_in_iters=2, round_interval=2)
    hub = MessageHub.get_instance('semihand_round_timing')
    runner = SimpleNamespace(hooks=[timer, hook], iter=0, max_iters=10, message_hub=hub,
                             model=SimpleNamespace(predict_on='student'))
    hook._restart_optimizer = lambda runner: None

    def slow(*args, **kwargs):  # a round, or an evaluation leaving its own ETA behind
        time.sleep(0.3)
        hub.update_info('eta', 0)

    hook._enable = slow
    hook.run_round = slow
    timer.before_train(runner)
    timer.before_train_epoch(runner)
    worked = []
    for runner.iter in range(5):  # burn-in ends after 2 iterations, a round after 4
        timer.before_train_iter(runner, runner.iter)
        assert hub.get_scalar('train/data_time').current() < 0.2, runner.iter
        timer.after_train_iter(runner, runner.iter)
        eta, total = hub.get_info('eta'), timer.time_sec_tot
        start = time.time()
        hook.after_train_iter(runner, runner.iter)
        worked.append(time.time() - start > 0.25)
        assert hub.get_info('eta') == eta
        # the work still counts into the time per iteration that the ETA extrapolates
        assert (timer.time_sec_tot - total > 0.25) == worked[-1]
    assert worked == [False, True, False, True, False]


def test_missing_stage_one_checkpoint_names_the_config_that_makes_it(tmp_path, monkeypatch):
    """The checkpoint's work dir names its config when configs/ has one, else stage 1's."""
    monkeypatch.chdir(ROOT)  # configs/ is looked up where tools/train.py runs
    hook = SemiHandHook(mode='online')
    cases = (('pretrain_synth_photometric', 'configs/pretrain_synth_photometric.py'),
             ('my_stage1', 'configs/pretrain_synth.py'))
    for work_dir, config in cases:
        runner = SimpleNamespace(_load_from=f'{tmp_path}/{work_dir}/iter_850.pth', _resume=False)
        with pytest.raises(FileNotFoundError, match=f'python tools/train.py {config}'):
            hook.before_run(runner)
    # resuming goes on: the checkpoint to resume from is the run's own
    runner = SimpleNamespace(_load_from=f'{tmp_path}/my_stage1/iter_850.pth', _resume=True)
    hook.before_run(runner)


@pytest.mark.parametrize('hook_args, predict_on, uses_own_statistics', [
    (dict(mode='online'), 'student', True),
    (dict(pseudo_dataloader=dict(), label_with='teacher'), 'student', True),
    (dict(pseudo_dataloader=dict(), label_with='teacher', adapt_bn_batches=4), 'student', False),
    (dict(pseudo_dataloader=dict()), 'teacher', True)],
    ids=['online', 'offline-labelled-by-the-teacher', 'offline-labelled-by-the-teacher-adabn',
         'offline-tested-on-the-teacher'])
def test_a_teacher_that_labels_or_predicts_needs_an_ema_hook(hook_args, predict_on,
                                                             uses_own_statistics, caplog):
    """Without mmdet's MeanTeacherHook the teacher would stay the model it started as, silently
    (labelling, or reporting the stage-1 model's metrics as the adapted one's): refused. Where
    the teacher uses its own batch-norm statistics (labelling online or without AdaBN, or as the
    tested and saved model), a MeanTeacherHook that leaves them behind (mmdet's default
    skip_buffer=True) is warned about; skip_buffer=False is not, nor a teacher that only labels
    with statistics AdaBN re-estimates."""
    import logging

    from mmdet.engine.hooks import MeanTeacherHook
    hook = SemiHandHook(**hook_args)
    logger = logging.getLogger('semihand_ema_check')

    def runner(*hooks, predict_on=predict_on):
        return SimpleNamespace(hooks=list(hooks), logger=logger, iter=0, max_iters=10,
                               model=SimpleNamespace(predict_on=predict_on))

    with pytest.raises(ValueError, match='no MeanTeacherHook keeps it an EMA of the student'):
        hook.before_train(runner(SemiHandHook(mode='online')))
    for skip_buffer in (True, False):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger='semihand_ema_check'):
            hook.before_train(runner(hook, MeanTeacherHook(skip_buffer=skip_buffer)))
        warned = 'skip_buffer=False lets them follow' in caplog.text
        assert warned == (skip_buffer and uses_own_statistics)
    # a student that labels its own rounds and is the model tested needs no teacher
    SemiHandHook(pseudo_dataloader=dict()).before_train(runner(predict_on='student'))
