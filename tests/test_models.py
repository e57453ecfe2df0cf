# Copyright (c) semihand_mmpose authors. All rights reserved.
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmpose.registry import MODELS

from semihand_mmpose.datasets import Hand3DDataset
from test_dataset import PIPELINE

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# the stage-1 ones; each stage 2 there wraps its stage 1's estimator (tests/test_configs.py)
BACKBONE_CONFIGS = sorted(osp.basename(p) for p in
                          glob.glob(osp.join(ROOT, 'configs', 'backbones', 'pretrain_*.py')))


def shipped_backbone(config: str) -> dict:
    """The backbone of a config under ``configs/backbones/``, without its ImageNet weights."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'backbones', config))
    backbone = cfg.model.backbone.to_dict()
    backbone.pop('init_cfg', None)
    return backbone


# (backbone config, channels of the last feature map)
BACKBONES = {
    'resnet18': (dict(type='ResNet', depth=18, out_indices=(3, )), 512),
    'resnet50': (dict(type='ResNet', depth=50, out_indices=(3, )), 2048),
    'hrnet_w18': (shipped_backbone('pretrain_rhd_hrnet-w18.py'), 18),
    'mobilenetv2': (dict(type='MobileNetV2', widen_factor=1., out_indices=(7, )), 1280),
    'cspnext': (dict(type='CSPNeXt', arch='P5', expand_ratio=0.5, deepen_factor=0.33,
                     widen_factor=0.5, out_indices=(4, ), channel_attention=True,
                     norm_cfg=dict(type='BN'), act_cfg=dict(type='SiLU')), 512),
}


def build_model(backbone, channels, deconvs=(64, 64, 64)):
    return MODELS.build(estimator_cfg(backbone, channels, deconvs))


def estimator_cfg(backbone, channels, deconvs=(64, 64, 64)) -> dict:
    """A 64-px ``Hand3DPoseEstimator`` config with a mask head around ``backbone``."""
    # a stride-4 backbone (HRNet) needs no deconvolution; stride-32 ones get three
    deconvs = () if channels == 18 else deconvs
    return dict(
        type='Hand3DPoseEstimator',
        data_preprocessor=dict(type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
        backbone=backbone,
        head=dict(type='Hand25DHead', in_channels=channels, input_size=(64, 64),
                  deconv_out_channels=deconvs, deconv_kernel_sizes=(4, ) * len(deconvs)),
        mask_head=dict(type='HandMaskHead', in_channels=channels, out_size=(16, 16)),
        test_cfg=dict(ref_bone_length=88.0))


@pytest.fixture(scope='module')
def batch(small_split):
    ann_file, root = small_split
    ds = Hand3DDataset(ann_file=ann_file, data_prefix=dict(img=root), pipeline=PIPELINE)
    items = [ds[i] for i in range(2)]
    return dict(inputs=[it['inputs'] for it in items],
                data_samples=[it['data_samples'] for it in items])


@pytest.mark.parametrize('name', list(BACKBONES))
def test_backbone_swap_trains_and_predicts(name, batch):
    torch.manual_seed(0)
    model = build_model(*BACKBONES[name])
    optim = build_optim_wrapper(model, dict(optimizer=dict(type='Adam', lr=1e-3)))
    model.train()
    losses = model.train_step(batch, optim)
    assert set(losses) >= {'loss_coord', 'loss_depth', 'loss_mask'}
    assert all(torch.isfinite(v) for v in losses.values())
    model.eval()
    with torch.no_grad():
        out = model.val_step(batch)
    pred = out[0].pred_instances
    assert pred.keypoints.shape == (1, 21, 2) and pred.keypoints_3d.shape == (1, 21, 3)
    assert np.isfinite(pred.keypoints_3d).all()


@pytest.mark.parametrize('config', BACKBONE_CONFIGS)
def test_shipped_backbone_configs_build_and_fit_their_heads(config):
    """The GPU configs under configs/backbones/ (256 px, no weights loaded here): their backbone's
    features fit the head they set, which outputs the 2.5D pose of a 256-px crop."""
    from mmengine.registry import init_default_scope
    import semihand_mmpose  # noqa: F401
    init_default_scope('mmpose')
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'backbones', config))
    cfg.model.backbone.pop('init_cfg', None)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    w, h = cfg.model.head.input_size
    with torch.no_grad():
        feats = model.extract_feat(torch.randn(2, 3, h, w))
        uv, z_rel, heatmaps = model.head.forward(feats)
        mask = model.mask_head.forward(feats)
    assert uv.shape == (2, 21, 2) and z_rel.shape == (2, 21)
    assert heatmaps.shape == (2, 21, h // 4, w // 4)
    assert ((uv >= 0) & (uv <= 1)).all()  # soft-argmax in crop units
    assert mask.shape[0] == 2 and torch.isfinite(mask).all()


def test_predictions_map_back_through_the_rotated_crop(batch):
    """With the ground truth as the 'prediction', the image-space keypoints come back exactly."""
    model = build_model(*BACKBONES['resnet18'])
    samples = batch['data_samples']
    from mmengine.structures import InstanceData
    preds = []
    for s in samples:
        m = np.asarray(s.crop_matrix, np.float64)
        kpts = s.gt_instances.keypoints.astype(np.float64)
        in_crop = kpts @ m[:2, :2].T + m[:2, 2]
        preds.append(InstanceData(keypoints=in_crop.astype(np.float32),
                                  keypoint_scores=np.ones((1, 21), np.float32),
                                  keypoints_z_rel=s.gt_instance_labels.keypoint_z_rel.numpy()))
    out = model.add_pred_to_datasample(preds, None, samples)
    for s in out:
        np.testing.assert_allclose(s.pred_instances.keypoints, s.gt_instances.keypoints, atol=1e-3)
        gt3d = s.gt_instances.keypoints_3d[0]
        scale = np.linalg.norm(gt3d[9] - gt3d[0]) / 88.0
        np.testing.assert_allclose(s.pred_instances.keypoints_3d[0] * scale, gt3d, rtol=1e-3)


def test_no_copy_preprocessor_matches_mmpose_and_passes_samples_on():
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample

    from semihand_mmpose.models.data_preprocessors.no_copy_pose_data_preprocessor import \
        on_device
    args = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True)
    ours = MODELS.build(dict(type='NoCopyPoseDataPreprocessor', **args))
    mmpose = MODELS.build(dict(type='PoseDataPreprocessor', **args))

    def batch():
        samples = []
        for i in range(3):
            s = PoseDataSample(metainfo=dict(id=i, crop_matrix=np.eye(3) * (i + 1)))
            s.gt_instances = InstanceData(keypoints=np.zeros((1, 21, 2)),
                                          bboxes=torch.full((1, 4), float(i)))
            samples.append(s)
        gen = torch.Generator().manual_seed(0)
        return dict(inputs=[torch.randint(0, 255, (3, 8, 8), generator=gen, dtype=torch.uint8)
                            for _ in range(3)], data_samples=samples)

    data = batch()
    out, ref = ours(data, True), mmpose(batch(), True)
    torch.testing.assert_close(out['inputs'], ref['inputs'], rtol=0, atol=0)
    for s, r, given in zip(out['data_samples'], ref['data_samples'], data['data_samples']):
        assert s is given and r is not given  # passed on, where MMPose's copies
        assert s.metainfo.keys() == r.metainfo.keys()
        assert s.batch_input_shape == r.batch_input_shape == (8, 8)
        np.testing.assert_array_equal(s.crop_matrix, r.crop_matrix)
        torch.testing.assert_close(s.gt_instances.bboxes, r.gt_instances.bboxes)
    # for a preprocessor on another device (here: the meta device) samples move, so are copied
    # as before
    sample = batch()['data_samples'][0]
    assert on_device(sample, torch.device('cpu'))
    assert not on_device(sample, torch.device('meta'))
    ours.to(torch.device('meta'))
    out = ours.cast_data(dict(data_samples=[sample]))['data_samples'][0]
    assert out is not sample and out.gt_instances.bboxes.device.type == 'meta'
    assert sample.gt_instances.bboxes.device.type == 'cpu'
