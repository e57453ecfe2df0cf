# Copyright (c) semihand_mmpose authors. All rights reserved.
import numpy as np
import pytest
import torch
from mmpose.registry import MODELS

from semihand_mmpose.datasets import Hand3DDataset
from semihand_mmpose.geometry import apply_affine
from semihand_mmpose.models.semi.semihand_estimator import STUDENT
from test_dataset import PIPELINE

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


@pytest.mark.parametrize('weighting', [True, False])
def test_offline_pseudo_label_loss_counts_selected_joints_by_confidence(student_batch, weighting):
    inputs, samples = student_batch
    model = offline_model(confidence_weighting=weighting)
    rng = np.random.default_rng(0)
    ids = [int(s.metainfo['id']) for s in samples]
    uv = rng.uniform(20, 70, (3, 21, 2)).astype(np.float32)
    z = rng.uniform(-0.5, 0.5, (3, 21)).astype(np.float32)
    conf = rng.uniform(0.2, 1.0, (3, 21)).astype(np.float32)
    keep = [True, False, True]
    model.pseudo_store = {i: (uv[n], z[n], conf[n], keep[n]) for n, i in enumerate(ids)}
    with torch.no_grad():
        losses = model.unsup_loss({STUDENT: inputs}, {STUDENT: samples})
        # the loss by hand: L1 in the student's crop, normalised by the crop size
        pred_uv, pred_z, _, _ = model._forward_25d(model.student, inputs)
    crops = torch.as_tensor(np.stack([s.metainfo['crop_matrix'] for s in samples]))
    target = apply_affine(torch.as_tensor(uv).double(), crops.double()).float()
    err_uv = ((pred_uv - target) / 64.0).abs().sum(-1)
    err_z = (pred_z - torch.as_tensor(z)).abs()
    weight = torch.as_tensor(conf) if weighting else torch.ones(3, 21)
    weight = weight * torch.tensor(keep, dtype=torch.float32)[:, None]
    expected_uv = (err_uv * weight).sum() / weight.sum()
    expected_z = 0.3 * (err_z * weight).sum() / weight.sum()
    torch.testing.assert_close(losses['loss_pseudo_coord'], expected_uv)
    torch.testing.assert_close(losses['loss_pseudo_depth'], expected_z)
    # the unselected sample's label does not count at all
    model.pseudo_store[ids[1]] = (uv[1] + 30.0, z[1] + 1.0, conf[1], False)
    with torch.no_grad():
        again = model.unsup_loss({STUDENT: inputs}, {STUDENT: samples})
    torch.testing.assert_close(again['loss_pseudo_coord'], losses['loss_pseudo_coord'])


def test_offline_pseudo_label_loss_leaves_out_unselected_joints(student_batch):
    inputs, samples = student_batch
    model = offline_model(confidence_weighting=False)
    rng = np.random.default_rng(1)
    ids = [int(s.metainfo['id']) for s in samples]
    uv = rng.uniform(20, 70, (3, 21, 2)).astype(np.float32)
    z = rng.uniform(-0.5, 0.5, (3, 21)).astype(np.float32)
    conf = np.ones((3, 21), np.float32)
    keep = rng.uniform(size=(3, 21)) < 0.6  # a per-joint selection, as a round stores it
    model.pseudo_store = {i: (uv[n], z[n], conf[n], keep[n]) for n, i in enumerate(ids)}
    with torch.no_grad():
        losses = model.unsup_loss({STUDENT: inputs}, {STUDENT: samples})
        pred_uv, _, _, _ = model._forward_25d(model.student, inputs)
    crops = torch.as_tensor(np.stack([s.metainfo['crop_matrix'] for s in samples]))
    target = apply_affine(torch.as_tensor(uv).double(), crops.double()).float()
    err_uv = ((pred_uv - target) / 64.0).abs().sum(-1)
    mask = torch.as_tensor(keep, dtype=torch.float32)
    torch.testing.assert_close(losses['loss_pseudo_coord'], (err_uv * mask).sum() / mask.sum())
    # moving the unselected joints' labels changes nothing
    moved = uv + 40.0 * (~keep)[..., None]
    model.pseudo_store = {i: (moved[n], z[n], conf[n], keep[n]) for n, i in enumerate(ids)}
    with torch.no_grad():
        again = model.unsup_loss({STUDENT: inputs}, {STUDENT: samples})
    torch.testing.assert_close(again['loss_pseudo_coord'], losses['loss_pseudo_coord'])
