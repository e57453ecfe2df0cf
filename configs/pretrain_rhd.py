# Stage 1 of SemiHand on real data: supervised 2.5D pose + hand mask on RHD (GPU-sized: 256 px,
# ResNet-50). Prepare the data first (README, "Data preparation"):
#   python tools/dataset_converters/rhd_to_hand3d.py data/RHD_published_v2 --out-dir data/rhd
# Evaluation: RHD protocol, 3D PCK AUC 20-50 mm on visible joints, root-relative, prediction scaled
# by the ground-truth reference bone.
_base_ = ['./_base_/default_runtime.py']

input_size = (256, 256)
mask_size = (64, 64)
max_iters = 60000
batch_size = 64
rhd_images = 'data/RHD_published_v2/'
rhd_converted = 'data/rhd/'
# a missing annotation file is reported with the converter command that writes it
rhd_hint = dict(converter='rhd_to_hand3d', source='data/RHD_published_v2')

codec = dict(type='Hand25DCoordinate', input_size=input_size)
model = dict(
    type='Hand3DPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(type='ResNet', depth=50, out_indices=(3, ),
                  init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    head=dict(type='Hand25DHead', in_channels=2048, input_size=input_size,
              deconv_out_channels=(256, 256, 256), deconv_kernel_sizes=(4, 4, 4),
              loss_depth=dict(type='L1Loss', use_target_weight=True, loss_weight=0.3)),
    mask_head=dict(type='HandMaskHead', in_channels=2048, out_size=mask_size, mid_channels=128,
                   loss=dict(type='SoftMaskLoss', loss_weight=0.1)),
    test_cfg=dict(ref_bone_length=88.0))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadHandMask'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='FastRandomBBoxTransform', shift_factor=0.08, scale_factor=(0.8, 1.2),
         rotate_factor=45.0),
    dict(type='HandAffine', input_size=input_size),
    dict(type='PhotometricDistortion'),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackHand3DInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='HandAffine', input_size=input_size),
    dict(type='PackHand3DInputs'),
]
rhd_train = dict(type='Hand3DDataset', ann_file=rhd_converted + 'rhd_training.json',
                 data_prefix=dict(img=rhd_images, mask=rhd_converted), dataset_name='rhd',
                 missing_data_hint=rhd_hint)
train_dataloader = dict(
    batch_size=batch_size, num_workers=8, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(rhd_train, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='Hand3DDataset', ann_file=rhd_converted + 'rhd_evaluation.json',
                 data_prefix=dict(img=rhd_images, mask=rhd_converted), dataset_name='rhd',
                 missing_data_hint=rhd_hint, test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='Hand3DMetric', auc_range=(20.0, 50.0), scale='gt_bone',
                     alignment='root', visible_only=True)
test_evaluator = val_evaluator

train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),
    dict(type='MultiStepLR', milestones=[40000, 52000], gamma=0.1, by_epoch=False),
]
default_hooks = dict(checkpoint=dict(interval=5000, save_best='hand3d/AUC', rule='greater'))
auto_scale_lr = dict(base_batch_size=batch_size)
