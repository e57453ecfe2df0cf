# Ablation: no consistency for perturbations (the student's strong and weak views are not tied).
_base_ = ['../semihand_synth_finetune.py']
model = dict(semi_train_cfg=dict(pert_weight=0.0))
