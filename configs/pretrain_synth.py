# Stage 1 of SemiHand on the in-project synthetic hands: supervised 2.5D pose + hand mask on the
# labelled source domain ("rendered", plays RHD), validated on source test and target test so the
# domain gap is printed. Sized for 2 CPU cores (about 14 minutes with data generation); see
# configs/backbones/ for other
# backbones and configs/pretrain_rhd.py for the real-data, GPU-sized version.
_base_ = ['./_base_/default_runtime.py']

input_size = (64, 64)
mask_size = (16, 16)
train_domain = 'source'
max_iters = 850
batch_size = 32
# Data loading in the training process: on 2 cores, worker processes compete with the two compute
# threads (measured: 0.45 s per iteration with 0 workers, 0.58 s with 2, 0.61 s with 1). Raise it
# on a machine with cores to spare.
num_workers = 0

codec = dict(type='Hand25DCoordinate', input_size=input_size)

model = dict(
    type='Hand3DPoseEstimator',
    # MMPose's PoseDataPreprocessor, without copying the data samples when they stay on the CPU
    data_preprocessor=dict(
        type='NoCopyPoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    # Any MMPose backbone fits here; change `in_channels` of both heads to its last stage's width.
    backbone=dict(type='ResNet', depth=18, out_indices=(3, )),
    head=dict(
        type='Hand25DHead', in_channels=512, input_size=input_size, num_keypoints=21,
        deconv_out_channels=(128, 128, 128), deconv_kernel_sizes=(4, 4, 4),
        loss_coord=dict(type='L1Loss', use_target_weight=True, loss_weight=1.0),
        loss_depth=dict(type='L1Loss', use_target_weight=True, loss_weight=0.3)),
    mask_head=dict(
        type='HandMaskHead', in_channels=512, out_size=mask_size, mid_channels=64,
        loss=dict(type='SoftMaskLoss', loss_weight=0.1)),
    test_cfg=dict(ref_bone_length=88.0))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadHandMask'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    # MMPose's RandomBBoxTransform, the same draws bit for bit, without scipy's per-call overhead
    dict(type='FastRandomBBoxTransform', shift_factor=0.08, scale_factor=(0.8, 1.2),
         rotate_factor=45.0),
    dict(type='HandAffine', input_size=input_size),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackHand3DInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='HandAffine', input_size=input_size),
    dict(type='PackHand3DInputs'),
]

synthetic = dict(type='SyntheticHand3DDataset', image_size=128, data_root='data/synthetic_hands')
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=num_workers,
    persistent_workers=num_workers > 0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(**synthetic, domain=train_domain, split='train', num_samples=12000, seed=0,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=num_workers,
    persistent_workers=num_workers > 0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ConcatDataset',
        ignore_keys=['dataset_name'],
        datasets=[
            dict(**synthetic, domain='source', split='test', num_samples=500, seed=1000,
                 pipeline=test_pipeline, test_mode=True),
            dict(**synthetic, domain='target', split='test', num_samples=500, seed=1001,
                 pipeline=test_pipeline, test_mode=True),
        ]))
test_dataloader = val_dataloader

# 3D PCK AUC over 20-50 mm, root-relative, prediction scaled by the ground-truth reference bone
val_evaluator = dict(type='Hand3DMetric', auc_range=(20.0, 50.0), scale='gt_bone',
                     alignment='root')
test_evaluator = val_evaluator

train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict()
test_cfg = dict()

# fused: one kernel for all parameters (a ResNet-18 Adam step 70 -> 14 ms on 2 CPU cores)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=2e-3, fused=True))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=100, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', begin=100, end=max_iters, T_max=max_iters - 100,
         eta_min=2e-5, by_epoch=False),
]
default_hooks = dict(checkpoint=dict(interval=500))
auto_scale_lr = dict(base_batch_size=batch_size)
