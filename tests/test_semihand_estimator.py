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
    cfg = dict(dict(mode='offline', selection=dict(mode='all'), pseudo_weight=1.0,
                    pert_weight=0.0, xmodal_weight=0.0), **semi_cfg)
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


def training_step_model(estimator: dict, samples, labels_seed: int = 3, **semi_cfg):
    """A SemiHandEstimator around ``estimator`` in training mode, its unlabelled losses on, each
    sample holding a random offline pseudo-label (kept)."""
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='SemiHandEstimator', estimator=estimator,
        semi_train_cfg=dict(dict(mode='offline', selection=dict(mode='all')), **semi_cfg)))
    model.train()
    model.semi_enabled = True
    uv, z, conf = random_labels(labels_seed)
    model.pseudo_store = {int(s.metainfo['id']): (uv[n], z[n], conf[n], True)
                          for n, s in enumerate(samples)}
    return model


def step_branches(student_batch, labelled_scale: float = 1.0):
    """The batch as a SemiHand step's branches (inputs, samples): the labelled images (scaled by
    ``labelled_scale``), the student's strong view (the same crops with noise: identical views
    would agree exactly) and the weak view."""
    inputs, samples = student_batch
    strong = inputs + 0.1 * torch.randn(inputs.shape, generator=torch.Generator().manual_seed(1))
    return ({SUP: inputs * labelled_scale, STUDENT: strong, TEACHER: inputs},
            {b: samples for b in (SUP, STUDENT, TEACHER)})


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


@pytest.mark.parametrize('threshold', [0.0, 1.1], ids=['keeps-all', 'keeps-none'])
def test_online_steps_log_the_fraction_kept_and_the_mean_confidence(student_batch, threshold):
    """Online mode has no rounds to log its selection: ``pseudo_kept``, ``pseudo_confidence`` and
    ``pseudo_zero_confidence`` come with the losses, equal to the teacher's fused labels' by
    hand, and MMEngine's total leaves them out. A threshold that keeps nothing shows as
    ``pseudo_kept`` 0 next to its zero pseudo-label loss."""
    inputs, samples = student_batch
    model = offline_model(mode='online', selection=dict(mode='threshold', value=threshold))
    with torch.no_grad():
        losses = model.unsup_loss({STUDENT: inputs.flip(-1), TEACHER: inputs},
                                  {STUDENT: samples, TEACHER: samples})
        fused = model.predict_pseudo_labels({TEACHER: inputs}, {TEACHER: samples})
    assert float(losses['pseudo_confidence']) == pytest.approx(
        float(fused['confidence'].mean()), rel=1e-6)
    kept = float((fused['confidence'] >= threshold).float().mean())
    assert kept == (1.0 if threshold == 0.0 else 0.0)
    assert float(losses['pseudo_kept']) == kept
    assert float(losses['pseudo_zero_confidence']) == float(
        (fused['confidence'].max(-1).values == 0).float().mean())
    assert (float(losses['loss_pseudo_coord']) > 0) == (kept > 0)
    total, log_vars = model.parse_losses(losses)
    assert float(total) == pytest.approx(sum(float(v) for k, v in losses.items() if 'loss' in k))
    assert float(log_vars['pseudo_kept']) == kept


@pytest.mark.parametrize('name', list(BACKBONES))
def test_semihand_trains_around_any_backbone(name, student_batch):
    """One SemiHand step around each backbone the plain estimator is tested with: every loss
    (supervised, pseudo-label, perturbation, cross-modal) finite, gradients in the student's
    backbone, none in the teacher's."""
    model = training_step_model(estimator_cfg(*BACKBONES[name]), student_batch[1],
                                xmodal_weight=0.1)
    losses = model.loss(*step_branches(student_batch))
    assert set(losses) >= {'sup_loss_coord', 'sup_loss_mask', 'loss_pseudo_coord', 'loss_pert',
                           'loss_xmodal'}
    assert all(bool(torch.isfinite(v)) and float(v.detach()) > 0 for v in losses.values()), losses
    sum(losses.values()).backward()
    first = next(p for p in model.student.backbone.parameters())
    assert first.grad is not None and float(first.grad.abs().sum()) > 0
    assert all(p.grad is None for p in model.teacher.parameters())


def test_a_semihand_step_under_float16_autocast_is_finite_and_near_float32(student_batch):
    """Mixed precision (``--amp`` on a GPU; here the CPU's float16 autocast, which casts the same
    ops): every loss near its float32 value, every gradient finite. The soft raster's and the
    lifting's gradients overflowed float16 (young, collapsed poses) before both were computed in
    float32."""
    results = {}
    for autocast in (False, True):
        model = training_step_model(estimator_cfg(*BACKBONES['resnet18']), student_batch[1],
                                    xmodal_weight=0.5, biomech_weight=0.1)
        with torch.autocast('cpu', dtype=torch.float16, enabled=autocast):
            losses = model.loss(*step_branches(student_batch))
        sum(losses.values()).backward()
        grads = [p.grad for p in model.student.parameters() if p.grad is not None]
        assert grads and all(bool(torch.isfinite(g).all()) for g in grads), autocast
        results[autocast] = {k: float(v.detach()) for k, v in losses.items()}
    assert set(results[True]) >= {'loss_pseudo_coord', 'loss_pert', 'loss_xmodal', 'loss_biomech'}
    assert results[True] == pytest.approx(results[False], rel=0.02)


@pytest.mark.parametrize('depth_weight', [0.3, 2.0])
def test_perturbation_loss_carries_the_strong_view_into_the_weak_one(student_batch, depth_weight):
    """``loss_pert`` against a hand computation in NumPy: the strong view's joints carried into
    the weak view's crop through the two crop matrices, the L1 in units of the crop, and the depths'
    L1 weighted by ``depth_weight``; the pseudo-label depth term takes the same weight."""
    inputs, samples = student_batch
    model = offline_model(pert_weight=0.5, depth_weight=depth_weight)
    # the student's crop: the weak one turned by 20 degrees about (32, 32) and shifted
    c, s = np.cos(np.radians(20.0)), np.sin(np.radians(20.0))
    turn = np.array([[c, -s, 32 - 32 * c + 32 * s + 3.0], [s, c, 32 - 32 * s - 32 * c - 2.0],
                     [0, 0, 1]])
    strong_samples = []
    for sample in samples:
        strong = sample.clone()
        strong.set_metainfo(dict(crop_matrix=turn @ np.asarray(sample.metainfo['crop_matrix'])))
        strong_samples.append(strong)
    strong_inputs = inputs.flip(-1)  # another image: the two views' predictions differ
    uv, z, conf = random_labels(4)
    ids = [int(s.metainfo['id']) for s in samples]
    model.pseudo_store = {i: (uv[n], z[n], conf[n], True) for n, i in enumerate(ids)}
    with torch.no_grad():
        losses = model.unsup_loss({STUDENT: strong_inputs, TEACHER: inputs},
                                  {STUDENT: strong_samples, TEACHER: samples})
        s_uv, s_z, _, _ = model._forward_25d(model.student, strong_inputs)
        w_uv, w_z, _, _ = model._forward_25d(model.student, inputs)
    s_uv, s_z, w_uv, w_z = (t.double().numpy() for t in (s_uv, s_z, w_uv, w_z))
    back = np.linalg.inv(turn)  # strong crop -> weak crop
    carried = s_uv @ back[:2, :2].T + back[:2, 2]
    expected = 0.5 * (np.abs(carried - w_uv).sum(-1).mean() / 64.0 +
                      depth_weight * np.abs(s_z - w_z).mean())
    assert float(losses['loss_pert']) == pytest.approx(expected, rel=1e-5)
    _, err_z = errors_by_hand(model, strong_inputs, strong_samples, uv, z)
    weight = torch.as_tensor(conf)
    torch.testing.assert_close(losses['loss_pseudo_depth'],
                               depth_weight * (err_z * weight).sum() / weight.sum())


@pytest.mark.parametrize('semi_cfg, error, match', [
    (dict(pert_wieght=0.0), KeyError, r"no key\(s\) \['pert_wieght'\].*'pert_weight'"),
    (dict(predict_on='ema'), ValueError, 'predict_on must be "student" or "teacher"'),
    (dict(mode='rounds'), ValueError, 'mode must be "online" or "offline"'),
    (dict(selection=dict(mode='top_frac', value=0.7)), ValueError,
     r"selection=\{'mode': 'top_frac'.*must be \"threshold\", \"top_fraction\" or \"all\""),
    (dict(joint_selection=dict(mode='all', fraction=0.5)), ValueError,
     "joint_selection=.*unexpected keyword argument 'fraction'"),
])
def test_a_semi_train_cfg_it_cannot_follow_is_refused(semi_cfg, error, match):
    """A misspelt switch would leave its part on at the default weight: an ablation that
    ablates nothing. It is named, with the keys there are."""
    with pytest.raises(error, match=match):
        offline_model(**semi_cfg)


def test_the_semi_train_cfg_keys_it_takes_are_the_ones_used():
    model = offline_model(pert_weight=0.25, predict_on='teacher')
    assert model.semi_train_cfg['pert_weight'] == 0.25 and model.predict_on == 'teacher'


def joint_forward_losses(student_batch, joint_forward: bool, train: bool,
                         labelled_scale: float = 1.0) -> dict:
    """Every loss of one SemiHand step (the labelled images scaled by ``labelled_scale``)."""
    model = training_step_model(estimator_cfg(*BACKBONES['resnet18'], (32, 32, 32)),
                                student_batch[1], labels_seed=4, pert_weight=0.5,
                                xmodal_weight=0.1, joint_forward=joint_forward)
    model.train(train)
    with torch.no_grad():
        return model.loss(*step_branches(student_batch, labelled_scale))


def test_joint_forward_gives_the_same_losses_with_fixed_statistics(student_batch):
    """With batch norm on its running statistics (eval mode) one forward of both batches is
    two forwards' arithmetic: every loss the same."""
    one = joint_forward_losses(student_batch, True, train=False)
    two = joint_forward_losses(student_batch, False, train=False)
    assert set(one) == set(two) >= {'sup_loss_coord', 'sup_loss_mask', 'loss_pseudo_coord',
                                    'loss_pert', 'loss_xmodal'}
    for key in two:
        assert float(one[key]) == pytest.approx(float(two[key]), rel=1e-5, abs=1e-7), key


def test_joint_forward_normalises_both_domains_together(student_batch):
    """In training, with one forward the student's prediction on the unlabelled view depends on
    the labelled images beside it in the batch (shared batch statistics); with two it does not."""
    for joint, depends in ((True, True), (False, False)):
        base = joint_forward_losses(student_batch, joint, train=True)
        darker = joint_forward_losses(student_batch, joint, train=True, labelled_scale=0.5)
        moved = abs(float(base['loss_pseudo_coord']) - float(darker['loss_pseudo_coord']))
        assert (moved > 1e-4) == depends, (joint, moved)
        assert float(base['sup_loss_coord']) != float(darker['sup_loss_coord'])
