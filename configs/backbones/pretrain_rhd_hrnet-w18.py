# RHD pre-training with HRNet-W18; stage 2 on STB from it: semihand_stb_hrnet-w18.py.
_base_ = ['../pretrain_rhd.py', '../_base_/models/hrnet_w18.py']
model = _base_.hrnet_w18
