# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Schedule SemiHand: burn-in, pseudo-label rounds, and what each round is worth."""
import glob
import itertools
import os.path as osp
import time
from collections import deque
from typing import Callable, Dict, Optional

import numpy as np
import torch
from torch import nn
from mmengine.dist import broadcast_object_list, collect_results, get_dist_info, is_main_process
from mmengine.hooks import Hook, IterTimerHook
from mmengine.model import is_model_wrapper
from mmengine.utils import ProgressBar
from mmpose.registry import HOOKS

from semihand_mmpose.engine.batch_norm_adaptation import adapt_batch_norm, restore_batch_norm
from semihand_mmpose.engine.pseudo_label_rounds import (dataset_fingerprint, load_round,
                                                        read_round_log, save_round,
                                                        write_round_log)
from semihand_mmpose.models.semi.pseudo_labeller import select_pseudo_labels, unusable_share
from semihand_mmpose.models.semi.semihand_estimator import TEACHER

DATA_BATCH = Optional[dict]


@HOOKS.register_module()
class SemiHandHook(Hook):
    """Run SemiHand's schedule on a :class:`SemiHandEstimator`.

    - Burn-in: the model trains on labelled data only for ``burn_in_iters`` iterations (0 when
      starting from a ``load_from`` checkpoint), then the unlabelled losses are switched on.
    - ``mode='online'``: at the end of burn-in the teacher is set to the student; mmdet's
      ``MeanTeacherHook`` keeps it an EMA of the student from then on.
    - ``mode='offline'``: every ``round_interval`` iterations from the end of burn-in the current
      student labels the whole unlabelled set (sharded over ranks, gathered on every rank); the
      round is written atomically to ``<work_dir>/pseudo_labels/round_XXX.pth`` with its
      confidences and selections (``keep`` of samples, ``keep_joints``), and a resumed run
      reloads the latest round (checking that it belongs to this dataset and is whole).
    - Per round the log shows the fraction of samples (and joints) kept, the mean confidence,
      the fraction of hands with confidence 0 where there are any, and the mean movement of the
      pseudo-labels since the previous round (pixels; the paper's convergence curve), plus the
      pseudo-labels' own 2D error where the unlabelled set has hidden labels.

    Args:
        pseudo_dataloader (dict): Loader over the unlabelled set with the teacher's views only
            (``mode='offline'``); its sampler must not shuffle.
        mode (str): ``'online'`` or ``'offline'``. Defaults to ``'offline'``.
        burn_in_iters (int): Supervised-only iterations; at least ``max_iters`` makes the run
            supervised only (warned, and no round is made at its end). Defaults to 0.
        round_interval (int): Iterations between offline rounds. Defaults to 500.
        label_dataset (dict, optional): The same unlabelled images with labels (e.g. the synthetic
            target in ``labelled=True`` mode) to report the pseudo-labels' error; never used for
            training.
        adapt_bn_batches (int): For each offline round, re-estimate the student's batch-norm
            statistics on this many batches of the unlabelled set (AdaBN, Li et al. 2016), so the
            round labels target images with target statistics rather than a running mix of both
            domains; training then goes on with the statistics it had. Averaged over ranks. 0 turns
            it off. Online, the teacher starts from such statistics at the end of burn-in.
            Defaults to 0.
        val_before_adaptation (bool): Run the validation loop just before the unlabelled losses
            switch on (not on resume), so the log holds the metrics before and after adaptation
            (MMEngine's loops validate only after training iterations). Defaults to False.
        label_with (str): The network that labels offline rounds: ``'student'`` (the paper's
            rounds) or ``'teacher'``, an exponential moving average of the student kept by mmdet's
            ``MeanTeacherHook`` (add it to ``custom_hooks``). Defaults to ``'student'``.
        eval_target_bn (bool): Validate and test with batch-norm statistics re-estimated on the
            unlabelled images (``adapt_bn_batches`` batches), restored afterwards so training goes
            on unchanged and checkpoints keep the training statistics (``tools/test.py`` with this
            config re-estimates them). Why: labelled and unlabelled batches are separate forward
            passes, so the student trains with per-domain batch statistics while its running
            statistics mix both domains and the strong views, a mix that fits neither test set; the
            adapted model is a target-domain model. The source-only model tested this way is the
            AdaBN baseline that SemiHand must beat. Source-test metrics are then those of the
            target model on the source domain. Defaults to False.
        fine_tune_lr (float, optional): When burn-in ends, restart the optimiser as a separate
            fine-tuning run would: its state (e.g. Adam's moments) cleared and the learning rate set
            to this value (each parameter group at its own multiple of it, see
            :meth:`_restart_optimizer`), for the param schedulers that begin at ``burn_in_iters``
            to act on (MMEngine's schedulers scale the current rate and cannot raise it past a
            decayed one). ``None`` keeps the optimiser going. Defaults to None.
        warn_zero_confidence (float): Warn when more than this fraction of a round's hands (online:
            of the hands of the last ``ONLINE_WINDOW`` steps, once a run) get confidence 0 (a
            degenerate pose, or a joint lifted to or behind the camera), most likely from a wrong
            camera ``K``: on the synthetic target 0.07% do with the true ``K``, 1% with the focal
            length halved, 49% with it quartered. Defaults to 0.05.
    """

    priority = 'NORMAL'
    #: online steps whose ``pseudo_zero_confidence`` are averaged (a window sliding by one step)
    #: before it is compared with ``warn_zero_confidence``: one batch of 16 hands holds one
    #: unusable hand (6%) by chance
    ONLINE_WINDOW = 50

    def __init__(self, pseudo_dataloader: Optional[dict] = None, mode: str = 'offline',
                 burn_in_iters: int = 0, round_interval: int = 500,
                 label_dataset: Optional[dict] = None,
                 adapt_bn_batches: int = 0,
                 val_before_adaptation: bool = False,
                 label_with: str = 'student',
                 eval_target_bn: bool = False,
                 fine_tune_lr: Optional[float] = None,
                 warn_zero_confidence: float = 0.05) -> None:
        if mode not in ('online', 'offline'):
            raise ValueError(f'mode must be "online" or "offline", got {mode!r}')
        if not isinstance(burn_in_iters, int) or burn_in_iters < 0:
            raise ValueError(f'burn_in_iters must be an int >= 0, got {burn_in_iters!r}')
        if not isinstance(round_interval, int) or round_interval <= 0:
            raise ValueError('round_interval (iterations between offline rounds) must be an int '
                             f'> 0, got {round_interval!r}')
        if mode == 'offline' and pseudo_dataloader is None:
            raise ValueError('offline SemiHand needs a pseudo_dataloader over the unlabelled set')
        if label_with not in ('student', 'teacher'):
            raise ValueError(f'label_with must be "student" or "teacher", got {label_with!r}')
        if eval_target_bn and (pseudo_dataloader is None or adapt_bn_batches <= 0):
            raise ValueError('eval_target_bn needs a pseudo_dataloader over the unlabelled set and '
                             f'adapt_bn_batches > 0, got adapt_bn_batches={adapt_bn_batches}')
        if not 0.0 <= warn_zero_confidence <= 1.0:
            raise ValueError('warn_zero_confidence is a fraction of the hands, in [0, 1]; got '
                             f'{warn_zero_confidence!r}')
        self.mode = mode
        self.burn_in_iters = burn_in_iters
        self.round_interval = round_interval
        self.pseudo_dataloader_cfg = pseudo_dataloader
        self.label_dataset_cfg = label_dataset
        self.val_before_adaptation = val_before_adaptation
        self.adapt_bn_batches = adapt_bn_batches
        self.eval_target_bn = eval_target_bn
        self.label_with = label_with
        self.fine_tune_lr = fine_tune_lr
        self.warn_zero_confidence = warn_zero_confidence
        # the last ONLINE_WINDOW online steps' pseudo_zero_confidence, a sliding window
        self._online_unusable = deque(maxlen=self.ONLINE_WINDOW)
        self._online_warned = False
        self._eval_saved = None
        self._loader = None
        self._dataset_fingerprint: Optional[str] = None
        self._pending = False
        self._labels = None
        self.previous: Optional[Dict[int, np.ndarray]] = None
        self.history = []

    # ---------------------------------------------------------------- schedule
    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_run(self, runner) -> None:
        """Stage 2 without its stage-1 checkpoint stops here, before anything is built or loaded,
        with the command that makes it: the config named as the checkpoint's work dir
        (``work_dirs/<name>/`` is what ``configs/<name>.py`` writes), else stage 1's."""
        start = getattr(runner, '_load_from', None)
        if start and not getattr(runner, '_resume', False) and '://' not in start \
                and not osp.isfile(start):
            stage1 = osp.join('configs', osp.basename(osp.dirname(start)) + '.py')
            if not osp.isfile(stage1):
                stage1 = 'configs/pretrain_synth.py'
            raise FileNotFoundError(
                f'load_from={start} does not exist. SemiHand fine-tunes a pre-trained model: train '
                f'stage 1 first (e.g. python tools/train.py {stage1}), pass '
                '--cfg-options load_from=<checkpoint>, or start from nothing with '
                'load_from=None and a burn-in (custom_hooks.<i>.burn_in_iters=<iterations>)')

    def before_train(self, runner) -> None:
        self._check_teacher_updates(runner)
        if self.burn_in_iters >= runner.max_iters:
            runner.logger.warning(
                f'SemiHand: burn_in_iters={self.burn_in_iters} >= max_iters={runner.max_iters}: '
                'the unlabelled losses never switch on and this run trains on the labelled data '
                'only')
        # enabled at the first iteration rather than here: validating before adaptation needs
        # every hook's before_train done (CheckpointHook's save_best sets itself up there)
        self._pending = runner.iter >= self.burn_in_iters

    def _check_teacher_updates(self, runner) -> None:
        """Where the teacher labels (``mode='online'`` or ``label_with='teacher'``) or is the
        model validated and tested (``semi_train_cfg.predict_on='teacher'``), mmdet's
        ``MeanTeacherHook`` must keep it an EMA of the student: without one the teacher stays the
        model it started as, and nothing says so (an offline config with ``predict_on='teacher'``
        would report the stage-1 model's metrics as the adapted one's). ``skip_buffer=True``
        (mmdet's default, for detectors with frozen norms) leaves the teacher's batch-norm
        statistics as they were at the start, which is warned about wherever the teacher uses its
        own: online, where it labels every step (measured on the synthetic hands: target AUC
        0.449 instead of 0.452 and a student 0.028 lower; docs/results.md, "The online EMA
        teacher"); labelling offline rounds without AdaBN (``adapt_bn_batches=0``); and as the
        tested and saved model, whose checkpoint keeps them (200 iterations of
        ``configs/ablations/semihand_synth_long_ema.py``: the teacher tested with its own
        statistics scored 0.310 against 0.484 with ``skip_buffer=False``, and the same 0.481
        either way under ``eval_target_bn``)."""
        predicts = getattr(self._model(runner), 'predict_on', 'student') == 'teacher'
        # each use of the teacher, and how it reads where it takes the teacher's own batch-norm
        # statistics (None where AdaBN re-estimates them: offline rounds with adapt_bn_batches)
        uses = [(use, own) for use, own, on in (
            ("SemiHandHook(mode='online') labels", 'labels online', self.mode == 'online'),
            ("SemiHandHook(label_with='teacher') labels",
             'labels offline rounds without AdaBN (adapt_bn_batches=0)'
             if self.mode == 'offline' and self.adapt_bn_batches == 0 else None,
             self.label_with == 'teacher'),
            ("semi_train_cfg.predict_on='teacher' validates and tests",
             "is the tested and saved model (predict_on='teacher')", predicts)) if on]
        if not uses:
            return
        from mmdet.engine.hooks import MeanTeacherHook
        ema = [hook for hook in runner.hooks if isinstance(hook, MeanTeacherHook)]
        if not ema:
            raise ValueError(
                f'{uses[0][0]} with the teacher, but no MeanTeacherHook keeps it an EMA of the '
                'student: add dict(type=\'mmdet.MeanTeacherHook\', momentum=0.01, '
                'skip_buffer=False) to custom_hooks (see configs/semihand_synth_online.py)')
        own_statistics = [own for _, own in uses if own]
        if own_statistics and ema[0].skip_buffers:
            runner.logger.warning(
                'SemiHand: MeanTeacherHook(skip_buffer=True) averages the parameters only, so the '
                'teacher keeps the batch-norm statistics it started with, and it '
                f'{" and ".join(own_statistics)}; skip_buffer=False lets them follow the '
                'student\'s')

    def before_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        if self._pending:
            self._pending = False
            self._untimed(runner, lambda: self._enable(runner, self._model(runner),
                                                       resumed=runner.iter > 0, step=runner.iter))

    def after_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        model = self._model(runner)
        step = runner.iter + 1  # iterations done
        if step == self.burn_in_iters and step < runner.max_iters:
            self._restart_optimizer(runner)
            self._untimed(runner, lambda: self._enable(runner, model, resumed=False, step=step))
        elif (self.mode == 'offline' and step > self.burn_in_iters
              and (step - self.burn_in_iters) % self.round_interval == 0
              and step < runner.max_iters):
            self._untimed(runner, lambda: self.run_round(runner, model, step))
        if self.mode == 'online' and outputs and 'pseudo_zero_confidence' in outputs:
            self._watch_online(runner, float(outputs['pseudo_zero_confidence']))

    def _watch_online(self, runner, unusable: float) -> None:
        """Online steps have no round to log: warn (once a run) when the hands with confidence 0
        in the last ``ONLINE_WINDOW`` steps are more than ``warn_zero_confidence``.

        The window slides by one step, so the warning comes at the first step whose last
        ``ONLINE_WINDOW`` steps pass the threshold; it waits for a full window, because one
        unusable hand in one batch of 16 is already 6%."""
        if self._online_warned:
            return
        self._online_unusable.append(unusable)
        if len(self._online_unusable) == self.ONLINE_WINDOW:
            share = float(np.mean(self._online_unusable))
            if share > self.warn_zero_confidence:
                self._online_warned = True
                self._warn_unusable(runner, f'the last {self.ONLINE_WINDOW} online steps', share)

    @staticmethod
    def _untimed(runner, work: Callable[[], None]) -> None:
        """Do ``work`` (the evaluation before adaptation, a round) between two training
        iterations without it being timed as one.

        MMEngine's ``IterTimerHook`` times an iteration from the end of the one before: a round
        (40-50 s for 3,000 images on 2 CPU cores) was logged as the next iteration's data time
        (``data_time`` 1.1 s and ``time`` 1.8 s around iteration 800 of the one-command run,
        against 0.06 and 0.7 s), and an evaluation here left its own ETA (0) where the log of the
        iteration that ran it reads the training one. The work still counts into the run's time
        per iteration, which the ETA extrapolates, as rounds recur. (MMEngine's own validation
        comes after the iteration is logged and restarts the timer itself.)
        """
        eta = runner.message_hub.get_info('eta')
        start = time.time()
        work()
        for hook in runner.hooks:
            if isinstance(hook, IterTimerHook):
                hook.t = time.time()
                hook.time_sec_tot += hook.t - start
        if eta is not None:
            runner.message_hub.update_info('eta', eta)

    def _restart_optimizer(self, runner) -> None:
        """End of burn-in: clear the optimiser's state and restart it at ``fine_tune_lr``.

        Each parameter group restarts at ``fine_tune_lr`` times its own base rate (``initial_lr``,
        where the param schedulers started) over the config's ``optimizer.lr``, so the groups keep
        the multiples burn-in gave them: a ``paramwise_cfg``'s ``lr_mult`` or a layer-wise decay,
        and ``--auto-scale-lr``'s batch-size ratio, which scales a separate stage-2 run's rate too.
        """
        if self.fine_tune_lr is None:
            return
        optimizer = runner.optim_wrapper.optimizer
        configured = runner.cfg.get('optim_wrapper', {}).get('optimizer', {}).get('lr')
        optimizer.state.clear()
        for group in optimizer.param_groups:
            base = group.get('initial_lr', group['lr'])
            group['lr'] = self.fine_tune_lr * (base / configured if configured else 1.0)
        rates = ', '.join(f'{r:g}' for r in sorted({g['lr'] for g in optimizer.param_groups}))
        runner.logger.info(f'SemiHand: burn-in done, optimiser restarted at lr {rates}')

    def _enable(self, runner, model, resumed: bool, step: int) -> None:
        """Switch the unlabelled losses on after ``step`` iterations."""
        if self.val_before_adaptation and not resumed and runner.val_loop is not None:
            runner.logger.info('SemiHand: evaluating before adaptation')
            runner.val_loop.run()
            model.train()
        if self.mode == 'online':
            if not resumed:
                self._start_teacher(runner, model)
        elif not (resumed and self._reload_latest(runner, model)):
            self.run_round(runner, model, step)
        model.semi_enabled = True
        runner.logger.info(f'SemiHand: unlabelled losses on after {step} iterations '
                           f'({self.mode} pseudo-labels)')

    def _start_teacher(self, runner, model) -> None:
        """Online: the teacher starts as the student, with the batch-norm statistics of the
        unlabelled images where ``adapt_bn_batches`` > 0 (AdaBN, as an offline round labels).

        At the end of burn-in the student's running statistics are the labelled source's, and
        the EMA would carry them into the teacher's labels for as many steps as its horizon.
        Measured on the synthetic hands from one stage 1 (docs/results.md, "The teacher's start
        and its momentum"): target AUC 0.455, 0.457 instead of 0.452, 0.451 (seeds 0, 1) at the
        former momentum 0.002; with this start the config's momentum 0.01 reaches 0.472, 0.474,
        0.470 (seeds 0-2), where a plain copy at 0.01 reaches 0.454, 0.452."""
        model.teacher.load_state_dict(model.student.state_dict())
        if self.adapt_bn_batches > 0:
            runner.logger.info('SemiHand: the teacher starts with batch-norm statistics of the '
                               f'unlabelled images ({self.adapt_bn_batches} batches)')
            self.adapt_batch_norm(model, model.teacher)

    # ------------------------------------------------------------------ rounds
    def _round_dir(self, runner) -> str:
        return osp.join(runner.work_dir, 'pseudo_labels')

    def _fingerprint(self) -> str:
        """The unlabelled set's :func:`dataset_fingerprint`, computed once: the set is built once
        per run, and walking its data infos costs about 50 us a sample every round."""
        if self._dataset_fingerprint is None:
            dataset = self._get_loader().dataset
            self._dataset_fingerprint = dataset_fingerprint(
                [dataset.get_data_info(i)['id'] for i in range(len(dataset))])
        return self._dataset_fingerprint

    def _get_loader(self):
        if self._loader is None:
            from mmengine.runner import Runner
            self._loader = Runner.build_dataloader(self.pseudo_dataloader_cfg)
        return self._loader

    @torch.no_grad()
    def label_dataset(self, runner, model,
                      network: Optional[nn.Module] = None) -> Dict[str, np.ndarray]:
        """Pseudo-label the whole unlabelled set with ``network`` (default: the student).

        Each rank labels its shard; the results are gathered in dataset order on every rank, so the
        round is the same whatever the number of processes.
        """
        loader = self._get_loader()
        rank, world = get_dist_info()
        results = []
        progress = ProgressBar(len(loader.dataset)) if rank == 0 else None
        for data in loader:
            # training=True: mmdet's MultiBranchDataPreprocessor only splits branches then
            data = model.data_preprocessor(data, True)
            inputs, samples = data['inputs'], data['data_samples']
            fused = model.predict_pseudo_labels(inputs, samples,
                                                model=model.student if network is None else network)
            for i, sample in enumerate(samples['unsup_teacher']):
                results.append((int(sample.metainfo['id']), fused['uv'][i].float().cpu().numpy(),
                                fused['z_rel'][i].float().cpu().numpy(),
                                fused['confidence'][i].float().cpu().numpy()))
                if progress is not None:
                    for _ in range(world):
                        progress.update()
        # in dataset order on rank 0 (DefaultSampler's padding removed), then sent to every rank
        # so all ranks train on the same round
        shared = [collect_results(results, len(loader.dataset), device='cpu')]
        if world > 1:
            broadcast_object_list(shared)
        rows = shared[0]
        if progress is not None:
            print()
        return dict(ids=np.array([r[0] for r in rows], np.int64),
                    uv=np.stack([r[1] for r in rows]), z_rel=np.stack([r[2] for r in rows]),
                    confidence=np.stack([r[3] for r in rows]))

    def adapt_batch_norm(self, model, network: Optional[nn.Module] = None) -> list:
        """AdaBN for ``network`` (default: the student): its batch-norm statistics re-estimated on
        the first ``adapt_bn_batches`` batches of the unlabelled images' original views (see
        :func:`~semihand_mmpose.engine.batch_norm_adaptation.adapt_batch_norm`).

        Returns:
            list: The statistics as they were, for :meth:`restore_batch_norm`.
        """

        def original_views():
            for data in itertools.islice(self._get_loader(), self.adapt_bn_batches):
                # only the original view runs, so only it is normalised
                yield model.data_preprocessor(
                    {k: {TEACHER: v[TEACHER]} for k, v in data.items()}, True)['inputs'][TEACHER]

        return adapt_batch_norm(model.student if network is None else network, original_views(),
                                model._forward_25d)

    restore_batch_norm = staticmethod(restore_batch_norm)

    # ------------------------------------------------------- evaluation (AdaBN)
    def _adapt_for_eval(self, runner) -> None:
        if self.eval_target_bn and self._eval_saved is None:
            model = self._model(runner)
            runner.logger.info('SemiHand: evaluating with batch-norm statistics of the '
                               f'unlabelled images ({self.adapt_bn_batches} batches)')
            self._eval_saved = self.adapt_batch_norm(model, model.predictor)

    def _restore_after_eval(self, runner) -> None:
        if self._eval_saved is not None:
            self.restore_batch_norm(self._eval_saved)
            self._eval_saved = None

    def before_val(self, runner) -> None:
        self._adapt_for_eval(runner)

    def after_val(self, runner) -> None:
        self._restore_after_eval(runner)

    def before_test(self, runner) -> None:
        self._adapt_for_eval(runner)

    def after_test(self, runner) -> None:
        self._restore_after_eval(runner)

    def run_round(self, runner, model, step: int) -> None:
        """One offline round after ``step`` iterations: label the unlabelled set (with target
        statistics where ``adapt_bn_batches`` > 0), select, write the round file, hand the labels
        to the model and log the round's statistics."""
        network = model.teacher if self.label_with == 'teacher' else model.student
        saved = self.adapt_batch_norm(model, network) if self.adapt_bn_batches > 0 else None
        labels = self.label_dataset(runner, model, network)
        if saved is not None:
            self.restore_batch_norm(saved)
        labels.update(self._selection(model, labels['confidence']))
        labels['iter'] = np.array(step)
        labels['fingerprint'] = np.array(self._fingerprint())
        index = len(self.history)
        if is_main_process():
            save_round(osp.join(self._round_dir(runner), f'round_{index:03d}.pth'), labels)
        self._install(model, labels)
        self._log_round(runner, index, labels)

    @staticmethod
    def _selection(model, confidence: np.ndarray) -> Dict[str, np.ndarray]:
        """The round's selection over the whole unlabelled set: ``keep`` (N,) samples and
        ``keep_joints`` (N, K), the joints selected of the samples kept."""
        cfg = model.semi_train_cfg
        keep, keep_joints = select_pseudo_labels(torch.from_numpy(confidence), cfg['selection'],
                                                 cfg['joint_selection'])
        return dict(keep=keep.numpy(), keep_joints=keep_joints.numpy())

    def _install(self, model, labels: dict) -> None:
        model.pseudo_store = {
            int(i): (uv, z, c, k)
            for i, uv, z, c, k in zip(labels['ids'], labels['uv'], labels['z_rel'],
                                      labels['confidence'], labels['keep_joints'])}

    def _reload_latest(self, runner, model) -> bool:
        """Install the latest round made at or before the resumed iteration; ``False`` if none.

        A run can stop between a round and the next checkpoint (the one-command config saves
        only at the end of burn-in and of training): the rounds made after the checkpoint belong
        to iterations the resumed run trains again, with labels their round will make again (the
        same file names, replaced atomically), so they are passed over, not trained on.
        """
        files = sorted(glob.glob(osp.join(self._round_dir(runner), 'round_*.pth')))
        fingerprint, num_samples = self._fingerprint(), len(self._get_loader().dataset)
        for count in range(len(files), 0, -1):
            labels = load_round(files[count - 1], fingerprint, num_samples)
            if int(labels.get('iter', -1)) <= runner.iter:
                break
        else:
            count = 0
        if count < len(files):
            runner.logger.warning(
                f'SemiHand: {", ".join(osp.basename(f) for f in files[count:])} came after the '
                f'checkpoint of iteration {runner.iter}; passed over, made again when their '
                'iterations come')
        if count == 0:
            return False
        path = files[count - 1]
        if 'keep_joints' not in labels:  # written before joint selection existed
            labels.update(self._selection(model, labels['confidence']))
        self._install(model, labels)
        self.history = read_round_log(osp.join(self._round_dir(runner), 'rounds.json'), count)
        self.previous = {int(i): uv for i, uv in zip(labels['ids'], labels['uv'])}
        runner.logger.info(f'SemiHand: resumed with pseudo-labels of {path}')
        return True

    def _log_round(self, runner, index: int, labels: dict) -> None:
        current = {int(i): uv for i, uv in zip(labels['ids'], labels['uv'])}
        stats = dict(round=index, kept=float(labels['keep'].mean()),
                     confidence=float(labels['confidence'].mean()))
        if not labels['keep_joints'][labels['keep']].all():
            stats['kept_joints'] = float(labels['keep_joints'].mean())
        # hands the pseudo-labeller could not use (a degenerate pose, or one lifted to the
        # camera) get confidence 0 on every joint, which selection by threshold or top fraction
        # leaves out: logged where there are any (their labels still count in the error)
        unusable = float(unusable_share(torch.as_tensor(labels['confidence'])))
        if unusable > 0:
            stats['zero_confidence'] = unusable
        if self.previous is not None:
            moves = [np.linalg.norm(current[i] - self.previous[i], axis=-1).mean()
                     for i in current if i in self.previous]
            stats['movement_px'] = float(np.mean(moves))
        errors = self._label_errors(current)
        if errors is not None:
            kept = labels['keep_joints'].astype(bool)
            stats['pseudo_epe2d_px'] = float(errors.mean())
            # what selection is for: the joints kept should be the better ones
            if kept.any():
                stats['pseudo_epe2d_kept_px'] = float(errors[kept].mean())
        self.previous = current
        self.history.append(stats)
        if is_main_process():  # the convergence curve, for tools/analysis/plot_rounds.py
            write_round_log(osp.join(self._round_dir(runner), 'rounds.json'), self.history)
        runner.message_hub.update_info(f'semihand/round_{index}', stats)
        runner.logger.info(f'SemiHand round {index}: ' + ', '.join(
            f'{k}: {v:.4f}' for k, v in stats.items() if k != 'round'))
        if not labels['keep_joints'].any():
            # the pseudo-label loss would be 0 until the next round, silently
            runner.logger.warning(
                f'SemiHand round {index} keeps no pseudo-label (mean confidence '
                f'{stats["confidence"]:.4f}): the pseudo-label loss is 0 until the next round; '
                'lower model.semi_train_cfg.selection.value (or joint_selection.value) or use '
                "mode='top_fraction'")
        if stats.get('zero_confidence', 0.0) > self.warn_zero_confidence:
            self._warn_unusable(runner, f'round {index}', stats['zero_confidence'])

    @staticmethod
    def _warn_unusable(runner, where: str, share: float) -> None:
        # such hands weigh 0 in the pseudo-label loss even where selection by top fraction
        # keeps them: far fewer hands than the selection says would train, without a word
        runner.logger.warning(
            f'SemiHand {where}: {share:.1%} of the hands get confidence 0 (a degenerate pose, '
            "or a lift that puts a joint at or behind the camera): check the unlabelled set's "
            'camera K, whose focal length and principal point must be in pixels of the image '
            'the keypoints are in; a focal length too short (e.g. one for a smaller image) '
            'does this')

    def _label_errors(self, current: Dict[int, np.ndarray]) -> Optional[np.ndarray]:
        """(N, K) 2D error (px) of each pseudo-label's joints against the hidden label, in
        ``current``'s order; ``None`` without a ``label_dataset``."""
        if self.label_dataset_cfg is None:
            return None
        if self._labels is None:
            from mmpose.registry import DATASETS
            dataset = DATASETS.build(self.label_dataset_cfg)
            self._labels = {}
            for i in range(len(dataset)):
                info = dataset.get_data_info(i)
                self._labels[int(info['id'])] = info['keypoints'][0]
        missing = [i for i in current if i not in self._labels]
        if missing:
            raise KeyError(f'label_dataset has no sample with id(s) {missing[:5]}; it must hold '
                           'the same images as the unlabelled set')
        return np.stack([np.linalg.norm(current[i] - self._labels[i], axis=-1)
                         for i in current])
