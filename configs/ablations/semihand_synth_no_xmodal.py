# Ablation: no cross-modal consistency between the mask head and the mask drawn from the pose.
_base_ = ['../semihand_synth_finetune.py']
model = dict(semi_train_cfg=dict(xmodal_weight=0.0))
