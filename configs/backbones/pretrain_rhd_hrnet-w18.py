# RHD pre-training with HRNet-W18 (stride 4: no deconvolution needed).
_base_ = ['../pretrain_rhd.py']
model = dict(
    backbone=dict(
        _delete_=True, type='HRNet', in_channels=3,
        extra=dict(
            stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(4, ),
                        num_channels=(64, )),
            stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(4, 4),
                        num_channels=(18, 36)),
            stage3=dict(num_modules=4, num_branches=3, block='BASIC', num_blocks=(4, 4, 4),
                        num_channels=(18, 36, 72)),
            stage4=dict(num_modules=3, num_branches=4, block='BASIC', num_blocks=(4, 4, 4, 4),
                        num_channels=(18, 36, 72, 144))),
        init_cfg=dict(type='Pretrained',
                      checkpoint='https://download.openmmlab.com/mmpose/pretrain_models/'
                      'hrnetv2_w18_imagenet-00eb2006.pth')),
    head=dict(in_channels=18, deconv_out_channels=None, deconv_kernel_sizes=None),
    mask_head=dict(in_channels=18))
