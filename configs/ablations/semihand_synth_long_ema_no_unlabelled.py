# Control for semihand_synth_long_ema.py: the same 600 iterations and EMA teacher with every
# unlabelled loss off (see semihand_synth_no_unlabelled.py).
_base_ = ['./semihand_synth_long_ema.py']
model = dict(semi_train_cfg=dict(pseudo_weight=0.0, pert_weight=0.0, xmodal_weight=0.0))
