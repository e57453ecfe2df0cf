# Ablation: no biomechanical correction of pseudo-labels (and so no feasibility term in confidence).
_base_ = ['../semihand_synth_finetune.py']
model = dict(semi_train_cfg=dict(pseudo_labeller=dict(corrector=None)))
