# RHD pre-training with CSPNeXt-m (RTMPose's backbone).
_base_ = ['../pretrain_rhd.py']
model = dict(
    backbone=dict(
        _delete_=True, type='CSPNeXt', arch='P5', expand_ratio=0.5, deepen_factor=0.67,
        widen_factor=0.75, out_indices=(4, ), channel_attention=True, norm_cfg=dict(type='SyncBN'),
        act_cfg=dict(type='SiLU'),
        init_cfg=dict(type='Pretrained', prefix='backbone.',
                      checkpoint='https://download.openmmlab.com/mmpose/v1/projects/rtmpose/'
                      'cspnext-m_udp-aic-coco_210e-256x192-f2f7d6f6_20230130.pth')),
    head=dict(in_channels=768),
    mask_head=dict(in_channels=768))
