# SemiHand on STB (configs/semihand_stb.py) around HRNet-W18, from its RHD checkpoint
# (pretrain_rhd_hrnet-w18.py): the same views, losses and rounds, another estimator.
_base_ = ['../semihand_stb.py', '../_base_/models/hrnet_w18.py']
load_from = 'work_dirs/pretrain_rhd_hrnet-w18/best_hand3d_AUC.pth'
model = dict(estimator=_base_.hrnet_w18)
model['estimator'].backbone.init_cfg = None  # the weights come from load_from
