# RHD pre-training with CSPNeXt-m (RTMPose's backbone); stage 2 on STB from it:
# semihand_stb_cspnext-m.py.
_base_ = ['../pretrain_rhd.py', '../_base_/models/cspnext_m.py']
model = _base_.cspnext_m
