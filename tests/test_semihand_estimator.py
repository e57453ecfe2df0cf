# Copyright (c) semihand_mmpose authors. All rights reserved.
import numpy as np
import pytest
import torch
from mmpose.registry import MODELS

from semihand_mmpose.datasets import Hand3DDataset
from semihand_mmpose.geometry import apply_affine
from semihand_mmpose.models.semi.semihand_estimator import STUDENT, SUP, TEACHER
from test_dataset import PIPELINE
from test_models import BACKBONES, estimator_cfg

ESTIMATOR = dict(
    type='Hand3DPoseEstimator',
    backbone=dict(type='ResNet', depth=18, out_indices=(3, )),
    head=dict(type='Hand25DHead', in_channels=512, input_size=(64, 64),
              deconv_out_channels=(32, 32, 32), deconv_kernel_sizes=(4, 4, 4)),
    test_cfg=dict(ref_bone_length=88.0))


@pytest.fixture(scope='module')
def student_batch(small_split):
    ann_file, root = small_split
    ds = Hand3DDataset(ann_file=ann_file, data_prefix=dict(img=root), pipeline=PIPELINE)
    items = [ds[i] for i in range(3)]
    inputs = torch.stack([it['inputs'] for it in items]).float() / 255.0
    return inputs, [it['data_samples'] for it in items]


def offline_model(**semi_cfg):
    torch.manual_seed(0)
    cfg = dict(mode='offline', selection=dict(mode='all'), pseudo_weight=1.0, pert_weight=0.0,
               xmodal_weight=0.0, **semi_cfg)
    model = MODELS.build(dict(type='SemiHandEstimator', estimator=ESTIMATOR, semi_train_cfg=cfg))
    return model.eval()  # fixed batch-norm statistics: the same prediction in every call


def random_labels(seed: int):
    """Pseudo-labels in image pixels near the crops: uv (3, 21, 2), z (3, 21), conf (3, 21)."""
    rng = np.random.default_rng(seed)
    return (rng.uniform(20, 70, (3, 21, 2)).astype(np.float32),
            rng.uniform(-0.5, 0.5, (3, 21)).astype(np.float32),
            rng.uniform(0.2, 1.0, (3, 21)).astype(np.float32))


def offline_losses(model, inputs, samples, uv, z, conf, keep) -> dict:
    """``unsup_loss`` with the round store holding these labels (``keep`` (3,) or (3, 21))."""
    ids = [int(s.metainfo['id']) for s in samples]
    model.pseudo_store = {i: (uv[n], z[n], conf[n], keep[n]) for n, i in enumerate(ids)}
    with torch.no_grad():
        return model.unsup_loss({STUDENT: inputs}, {STUDENT: samples})


def errors_by_hand(model, inputs, samples, uv, z):
    """Per-joint L1 errors of the student against the labels, computed here: pixels carried
    into the student's crop and divided by its size; depths as they are."""
    with torch.no_grad():
        pred_uv, pred_z, _, _ = model._forward_25d(model.student, inputs)
    crops = torch.as_tensor(np.stack([s.metainfo['crop_matrix'] for s in samples]))
    target = apply_affine(torch.as_tensor(uv).double(), crops.double()).float()
    return ((pred_uv - target) / 64.0).abs().sum(-1), (pred_z - torch.as_tensor(z)).abs()


@pytest.mark.parametrize('weighting', [True, False])
def test_offline_pseudo_label_loss_counts_selected_joints_by_confidence(student_batch, weighting):
    inputs, samples = student_batch
    model = offline_model(confidence_weighting=weighting)
    uv, z, conf = random_labels(0)
    keep = [True, False, True]
    losses = offline_losses(model, inputs, samples, uv, z, conf, keep)
    err_uv, err_z = errors_by_hand(model, inputs, samples, uv, z)
    weight = torch.as_tensor(conf) if weighting else torch.ones(3, 21)
    weight = weight * torch.tensor(keep, dtype=torch.float32)[:, None]
    expected_uv = (err_uv * weight).sum() / weight.sum()
    expected_z = 0.3 * (err_z * weight).sum() / weight.sum()
    torch.testing.assert_close(losses['loss_pseudo_coord'], expected_uv)
    torch.testing.assert_close(losses['loss_pseudo_depth'], expected_z)
    # the unselected sample's label does not count at all
    uv[1] += 30.0
    z[1] += 1.0
    again = offline_losses(model, inputs, samples, uv, z, conf, keep)
    torch.testing.assert_close(again['loss_pseudo_coord'], losses['loss_pseudo_coord'])
    torch.testing.assert_close(again['loss_pseudo_depth'], losses['loss_pseudo_depth'])


def test_offline_pseudo_label_loss_leaves_out_unselected_joints(student_batch):
    inputs, samples = student_batch
    model = offline_model(confidence_weighting=False)
    uv, z, conf = random_labels(1)
    # a per-joint selection, as a round stores it
    keep = np.random.default_rng(2).uniform(size=(3, 21)) < 0.6
    losses = offline_losses(model, inputs, samples, uv, z, conf, keep)
    err_uv, _ = errors_by_hand(model, inputs, samples, uv, z)
    mask = torch.as_tensor(keep, dtype=torch.float32)
    torch.testing.assert_close(losses['loss_pseudo_coord'], (err_uv * mask).sum() / mask.sum())
    # moving the unselected joints' labels changes nothing
    moved = uv + 40.0 * (~keep)[..., None]
    again = offline_losses(model, inputs, samples, moved, z, conf, keep)
    torch.testing.assert_close(again['loss_pseudo_coord'], losses['loss_pseudo_coord'])


@pytest.mark.parametrize('name', list(BACKBONES))
def test_semihand_trains_around_any_backbone(name, student_batch):
    """One SemiHand step around each backbone the plain estimator is tested with: every loss
    (supervised, pseudo-label, perturbation, cross-modal) finite, gradients in the student's
    backbone, none in the teacher's."""
    inputs, samples = student_batch
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='SemiHandEstimator', estimator=estimator_cfg(*BACKBONES[name]),
        semi_train_cfg=dict(mode='offline', selection=dict(mode='all'), xmodal_weight=0.1)))
    model.train()
    model.semi_enabled = True
    uv, z, conf = random_labels(3)
    model.pseudo_store = {int(s.metainfo['id']): (uv[n], z[n], conf[n], True)
                          for n, s in enumerate(samples)}
    branches = (SUP, STUDENT, TEACHER)
    # the strong view: the same crop with noise (identical views would agree exactly)
    strong = inputs + 0.1 * torch.randn(inputs.shape, generator=torch.Generator().manual_seed(1))
    losses = model.loss({SUP: inputs, STUDENT: strong, TEACHER: inputs},
                        {b: samples for b in branches})
    assert set(losses) >= {'sup_loss_coord', 'sup_loss_mask', 'loss_pseudo_coord', 'loss_pert',
                           'loss_xmodal'}
    assert all(bool(torch.isfinite(v)) and float(v) > 0 for v in losses.values()), losses
    sum(losses.values()).backward()
    first = next(p for p in model.student.backbone.parameters())
    assert first.grad is not None and float(first.grad.abs().sum()) > 0
    assert all(p.grad is None for p in model.teacher.parameters())
