# Ablation of configs/semihand_synth_photometric.py: both consistency losses (perturbation,
# cross-modal) off, the pseudo-label loss on.
_base_ = ['../semihand_synth_photometric.py']
model = dict(semi_train_cfg=dict(pert_weight=0.0, xmodal_weight=0.0))
