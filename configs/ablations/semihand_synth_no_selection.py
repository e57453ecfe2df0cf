# Ablation: no confidence weighting or sample selection: every pseudo-label counts fully.
_base_ = ['../semihand_synth_finetune.py']
model = dict(semi_train_cfg=dict(selection=dict(mode='all'),
                                 pseudo_labeller=dict(use_consistency=False, tau=1e6)))
