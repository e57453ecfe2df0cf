# Ablation of configs/semihand_synth_photometric.py: no confidence weighting or sample selection,
# as ablations/semihand_synth_no_selection.py is of the default stage 2.
_base_ = ['../semihand_synth_photometric.py']
model = dict(semi_train_cfg=dict(selection=dict(mode='all'),
                                 pseudo_labeller=dict(use_consistency=False, tau=1e6)))
