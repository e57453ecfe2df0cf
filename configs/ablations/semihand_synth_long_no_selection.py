# Ablation of configs/semihand_synth_long.py: no confidence weighting or sample selection (see
# semihand_synth_no_selection.py), to see whether selection pays once every label is seen twice as
# often.
_base_ = ['../semihand_synth_long.py']
model = dict(semi_train_cfg=dict(selection=dict(mode='all'),
                                 pseudo_labeller=dict(use_consistency=False, tau=1e6)))
