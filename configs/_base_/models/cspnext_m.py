# CSPNeXt-m (RTMPose's backbone) in place of the 2.5D hand estimator's ResNet-50
# (configs/pretrain_rhd.py). Merged into the estimator by
# configs/backbones/pretrain_rhd_cspnext-m.py (stage 1) and semihand_stb_cspnext-m.py (stage 2).
cspnext_m = dict(
    backbone=dict(
        _delete_=True, type='CSPNeXt', arch='P5', expand_ratio=0.5, deepen_factor=0.67,
        widen_factor=0.75, out_indices=(4, ), channel_attention=True, norm_cfg=dict(type='SyncBN'),
        act_cfg=dict(type='SiLU'),
        init_cfg=dict(type='Pretrained', prefix='backbone.',
                      checkpoint='https://download.openmmlab.com/mmpose/v1/projects/rtmpose/'
                      'cspnext-m_udp-aic-coco_210e-256x192-f2f7d6f6_20230130.pth')),
    head=dict(in_channels=768),
    mask_head=dict(in_channels=768))
