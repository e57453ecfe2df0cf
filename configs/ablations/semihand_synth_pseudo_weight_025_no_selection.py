# Ablation of semihand_synth_pseudo_weight_025.py: no confidence weighting or sample selection
# (every pseudo-label counts fully), with the pseudo-label loss at weight 0.25.
_base_ = ['./semihand_synth_no_selection.py']
model = dict(semi_train_cfg=dict(pseudo_weight=0.25))
