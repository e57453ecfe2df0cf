# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Two CPU processes (gloo): pseudo-labelling sharded over them equals one process, and the
teacher-student model trains under MMEngine's DistributedDataParallel wrapper."""
import os
import os.path as osp
import socket

import numpy as np
import torch
import torch.multiprocessing as mp

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _configs(data_root):
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'semihand_synth.py'))
    loader = cfg.custom_hooks[1].pseudo_dataloader
    loader.dataset.data_root = data_root
    # 9 hands: rank 0 labels 0, 2, 4, 6, 8 and rank 1 labels 1, 3, 5, 7 and 0 again (the sampler's
    # padding, which the gather must drop); in batches of 2 every hand sits in a batch of the same
    # size as in one process (8 alone in both), so the convolutions run the same kernels and the
    # labels must agree bit for bit. With batches of other sizes they differ in round-off, which
    # the lift to 3D can amplify: an untrained model's z_rel 4e-5 apart moved one joint's
    # confidence by 0.023 on an Intel Xeon.
    loader.dataset.num_samples = 9
    loader.batch_size = 2
    loader.num_workers = 0
    return cfg.model, loader


def _label(rank, world, port, data_root, weights, out):
    if world > 1:
        os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
        torch.distributed.init_process_group('gloo', rank=rank, world_size=world)
    torch.set_num_threads(1)
    from mmengine.registry import init_default_scope
    import mmdet.datasets  # noqa: F401
    import mmdet.models  # noqa: F401
    import semihand_mmpose  # noqa: F401
    from mmpose.registry import MODELS
    from semihand_mmpose.engine.hooks import SemiHandHook
    init_default_scope('mmpose')
    model_cfg, loader_cfg = _configs(data_root)
    model = MODELS.build(model_cfg)
    model.load_state_dict(torch.load(weights))
    labels = SemiHandHook(pseudo_dataloader=loader_cfg).label_dataset(None, model)
    if rank == 0:
        np.savez(out, **labels)
    if world > 1:
        # both ranks done talking before either tears gloo down: a rank that exits while its peer
        # still holds the connection can abort (std::terminate) in gloo's background thread
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_processes_label_like_one(tmp_path, synthetic_root):
    from mmpose.registry import DATASETS, MODELS
    model_cfg, loader_cfg = _configs(synthetic_root)
    DATASETS.build(loader_cfg.dataset)  # generate the split once, before the workers start
    torch.manual_seed(0)
    weights = str(tmp_path / 'w.pth')
    torch.save(MODELS.build(model_cfg).state_dict(), weights)
    one, two = str(tmp_path / 'one.npz'), str(tmp_path / 'two.npz')
    _label(0, 1, None, synthetic_root, weights, one)
    mp.start_processes(_label, args=(2, _free_port(), synthetic_root, weights, two), nprocs=2,
                       start_method='spawn')
    a, b = np.load(one), np.load(two)
    assert a['ids'].tolist() == b['ids'].tolist() and len(a['ids']) == 9
    for key in ('uv', 'z_rel', 'confidence'):
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_adapt_batch_norm_takes_the_unlabelled_images_statistics(synthetic_root):
    """AdaBN before a round: the student's first batch norm ends up with exactly the statistics of
    its input on the unlabelled images, and keeps its momentum."""
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS
    from semihand_mmpose.engine.hooks import SemiHandHook
    init_default_scope('mmpose')
    model_cfg, loader_cfg = _configs(synthetic_root)
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    hook = SemiHandHook(pseudo_dataloader=loader_cfg, adapt_bn_batches=1)
    bn = model.student.backbone.bn1
    before = bn.running_mean.clone()
    saved = hook.adapt_batch_norm(model)
    batch = model.data_preprocessor(next(iter(hook._get_loader())), True)
    with torch.no_grad():
        act = model.student.backbone.conv1(batch['inputs']['unsup_teacher'])
    torch.testing.assert_close(bn.running_mean, act.mean((0, 2, 3)), atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(bn.running_var, act.var((0, 2, 3), unbiased=True), atol=1e-5,
                               rtol=1e-4)
    assert not torch.allclose(before, bn.running_mean) and bn.momentum == 0.1
    # after the round, training goes on with the statistics it had
    hook.restore_batch_norm(saved)
    torch.testing.assert_close(bn.running_mean, before, atol=0, rtol=0)


def test_evaluation_with_target_statistics_is_undone_after_it(synthetic_root):
    """``eval_target_bn``: validation runs with the unlabelled images' statistics (those of
    ``adapt_batch_norm``) and training resumes with its own, bit for bit."""
    import logging
    from types import SimpleNamespace

    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS
    from semihand_mmpose.engine.hooks import SemiHandHook
    init_default_scope('mmpose')
    model_cfg, loader_cfg = _configs(synthetic_root)
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    runner = SimpleNamespace(model=model, logger=logging.getLogger('test'))
    hook = SemiHandHook(pseudo_dataloader=loader_cfg, adapt_bn_batches=1, eval_target_bn=True)
    bn = model.student.backbone.bn1
    before = {k: v.clone() for k, v in bn.named_buffers()}
    expected = SemiHandHook(pseudo_dataloader=loader_cfg, adapt_bn_batches=1)
    saved = expected.adapt_batch_norm(model)
    target_mean = bn.running_mean.clone()
    expected.restore_batch_norm(saved)
    hook.before_val(runner)
    torch.testing.assert_close(bn.running_mean, target_mean, atol=0, rtol=0)
    assert not torch.allclose(bn.running_mean, before['running_mean'])
    hook.after_val(runner)
    for name, value in bn.named_buffers():
        torch.testing.assert_close(value, before[name], atol=0, rtol=0)
    # the teacher is adapted instead where it makes the predictions
    model.predict_on = 'teacher'
    hook.before_test(runner)
    torch.testing.assert_close(model.teacher.backbone.bn1.running_mean, target_mean, atol=0,
                               rtol=0)
    torch.testing.assert_close(bn.running_mean, before['running_mean'], atol=0, rtol=0)
    hook.after_test(runner)


def test_evaluation_with_target_statistics_needs_adabn_batches():
    import pytest
    from semihand_mmpose.engine.hooks import SemiHandHook
    with pytest.raises(ValueError, match='adapt_bn_batches > 0'):
        SemiHandHook(pseudo_dataloader=dict(), adapt_bn_batches=0, eval_target_bn=True)


def test_rounds_label_with_the_named_network(synthetic_root):
    """``label_with='teacher'`` labels with the (EMA) teacher, not the student."""
    import pytest
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS
    from semihand_mmpose.engine.hooks import SemiHandHook
    init_default_scope('mmpose')
    with pytest.raises(ValueError, match='label_with'):
        SemiHandHook(pseudo_dataloader=dict(), label_with='ema')
    model_cfg, loader_cfg = _configs(synthetic_root)
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    with torch.no_grad():  # a teacher that differs from the student
        for p in model.teacher.parameters():
            p.add_(0.05 * torch.randn_like(p))
    hook = SemiHandHook(pseudo_dataloader=loader_cfg)
    by_teacher = hook.label_dataset(None, model, model.teacher)
    by_student = hook.label_dataset(None, model)
    batch = model.data_preprocessor(next(iter(hook._get_loader())), True)
    expected = model.predict_pseudo_labels(batch['inputs'], batch['data_samples'])  # teacher
    first = len(expected['uv'])  # the first batch
    np.testing.assert_allclose(by_teacher['uv'][:first], expected['uv'].numpy(), atol=1e-4)
    assert np.abs(by_teacher['uv'] - by_student['uv']).max() > 1e-2


def test_an_online_teacher_starts_with_the_unlabelled_images_statistics(synthetic_root):
    """Online, the end of burn-in copies the student into the teacher and gives the teacher the
    batch-norm statistics that AdaBN finds on the unlabelled images (the student's own are the
    source's then); the student keeps its statistics, and without AdaBN batches the teacher is a
    plain copy."""
    import logging
    from types import SimpleNamespace

    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS
    from semihand_mmpose.engine.hooks import SemiHandHook
    init_default_scope('mmpose')
    model_cfg, loader_cfg = _configs(synthetic_root)
    runner = SimpleNamespace(logger=logging.getLogger('test'), val_loop=None)
    for batches in (1, 0):
        torch.manual_seed(0)
        model = MODELS.build(model_cfg)
        student = {k: v.clone() for k, v in model.student.state_dict().items()}
        hook = SemiHandHook(mode='online', pseudo_dataloader=loader_cfg, adapt_bn_batches=batches)
        hook._enable(runner, model, resumed=False, step=0)
        teacher = model.teacher.state_dict()
        for name, value in model.student.state_dict().items():
            torch.testing.assert_close(value, student[name], atol=0, rtol=0)  # student unchanged
            statistic = name.endswith(('running_mean', 'running_var', 'num_batches_tracked'))
            if not statistic or not batches:
                torch.testing.assert_close(teacher[name], value, atol=0, rtol=0)
        if batches:
            SemiHandHook(pseudo_dataloader=loader_cfg, adapt_bn_batches=1).adapt_batch_norm(model)
            for name, value in model.student.state_dict().items():  # now AdaBN's statistics
                torch.testing.assert_close(teacher[name], value, atol=0, rtol=0)
            assert not torch.equal(teacher['backbone.bn1.running_mean'],
                                   student['backbone.bn1.running_mean'])
        # a resumed run keeps the teacher of its checkpoint
        with torch.no_grad():
            model.teacher.backbone.bn1.running_mean.add_(1.0)
        kept = model.teacher.backbone.bn1.running_mean.clone()
        hook._enable(runner, model, resumed=True, step=0)
        torch.testing.assert_close(model.teacher.backbone.bn1.running_mean, kept, atol=0, rtol=0)


def _train_steps(rank, world, port, data_root, weights, out):
    """Two SemiHand steps (online teacher, every unlabelled loss on) of MMEngine's
    ``MMDistributedDataParallel`` around the model, each rank on its own labelled and unlabelled
    hands; each rank saves the student's parameters, rank 0 the losses too."""
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.distributed.init_process_group('gloo', rank=rank, world_size=world)
    torch.set_num_threads(1)
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.model import MMDistributedDataParallel
    from mmengine.optim import OptimWrapper
    from mmengine.registry import init_default_scope
    import mmdet.datasets  # noqa: F401
    import mmdet.models  # noqa: F401
    import semihand_mmpose  # noqa: F401
    from mmpose.registry import DATASETS, MODELS
    init_default_scope('mmpose')
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'semihand_synth_finetune.py'))
    cfg.model.semi_train_cfg.update(mode='online', biomech_weight=0.1)
    labelled, unlabelled = (DATASETS.build(dict(d, data_root=data_root, num_samples=4))
                            for d in cfg.train_dataloader.dataset.datasets)
    model = MODELS.build(cfg.model)
    model.load_state_dict(torch.load(weights))
    model.semi_enabled = True
    ddp = MMDistributedDataParallel(module=model)
    optim = OptimWrapper(torch.optim.SGD(model.student.parameters(), lr=0.01))
    losses = []
    for step in range(2):
        hands = [2 * rank, 2 * rank + 1]
        torch.manual_seed(100 * step + rank)  # the augmentation draws
        batch = pseudo_collate([labelled[i] for i in hands] + [unlabelled[i] for i in hands])
        losses.append(ddp.train_step(batch, optim))
    # the parameters (each rank's batch-norm statistics are its own until SyncBuffersHook)
    weights = {n: p.detach().clone() for n, p in model.student.named_parameters()}
    if rank == 0:
        torch.save(dict(student=weights, losses=losses), out)
    else:
        torch.save(dict(student=weights), out + '.1')
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()


def test_semihand_trains_under_distributed_data_parallel(tmp_path, synthetic_root):
    """The teacher-student model under MMEngine's DDP wrapper (gloo, two CPU processes): no
    parameter is left without a gradient (DDP's reducer would stop the second step), every loss
    is finite, and both ranks end with the same student parameters (the gradients were
    averaged), moved from where they started."""
    from mmengine.config import Config
    from mmpose.registry import DATASETS, MODELS
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'semihand_synth_finetune.py'))
    for d in cfg.train_dataloader.dataset.datasets:  # generate the splits before the workers
        DATASETS.build(dict(d, data_root=synthetic_root, num_samples=4))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    weights = str(tmp_path / 'w.pth')
    torch.save(model.state_dict(), weights)
    out = str(tmp_path / 'rank.pth')
    mp.start_processes(_train_steps, args=(2, _free_port(), synthetic_root, weights, out),
                       nprocs=2, start_method='spawn')
    a, b = torch.load(out), torch.load(out + '.1')
    assert len(a['losses']) == 2
    for losses in a['losses']:
        assert {'loss_pseudo_coord', 'loss_pert', 'loss_xmodal', 'loss_biomech'} <= set(losses)
        assert all(bool(torch.isfinite(v)) for v in losses.values()), losses
    start = dict(model.student.named_parameters())
    moved = 0
    for name, value in a['student'].items():
        torch.testing.assert_close(value, b['student'][name], atol=1e-6, rtol=1e-5, msg=name)
        moved += not torch.equal(value, start[name].detach())
    assert moved > len(start) // 2
