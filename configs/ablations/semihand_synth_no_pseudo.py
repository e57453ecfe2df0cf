# Ablation: no pseudo-label loss; the two consistency losses (perturbation, cross-modal) stay on.
# Its twin from the photometric stage 1 is semihand_synth_photometric_no_pseudo.py.
_base_ = ['../semihand_synth_finetune.py']
model = dict(semi_train_cfg=dict(pseudo_weight=0.0))
