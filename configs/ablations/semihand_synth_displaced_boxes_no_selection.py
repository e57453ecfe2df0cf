# Ablation of semihand_synth_displaced_boxes.py: no confidence weighting or sample selection (as
# semihand_synth_no_selection.py), with a quarter of the unlabelled boxes displaced.
_base_ = ['./semihand_synth_displaced_boxes.py']
model = dict(semi_train_cfg=dict(selection=dict(mode='all'),
                                 pseudo_labeller=dict(use_consistency=False, tau=1e6)))
