# HRNet-W18 in place of the 2.5D hand estimator's ResNet-50 (configs/pretrain_rhd.py): its stride
# is 4, so the pose head needs no deconvolution. Merged into the estimator by
# configs/backbones/pretrain_rhd_hrnet-w18.py (stage 1) and semihand_stb_hrnet-w18.py (stage 2).
hrnet_w18 = dict(
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
