# SemiHand on STB (configs/semihand_stb.py) around CSPNeXt-m, from its RHD checkpoint
# (pretrain_rhd_cspnext-m.py): the same views, losses and rounds, another estimator.
_base_ = ['../semihand_stb.py', '../_base_/models/cspnext_m.py']
load_from = 'work_dirs/pretrain_rhd_cspnext-m/best_hand3d_AUC.pth'
model = dict(estimator=_base_.cspnext_m)
model['estimator'].backbone.init_cfg = None  # the weights come from load_from
