# Ablation of configs/semihand_synth_photometric.py: the pseudo-label loss off, both consistency
# losses (perturbation, cross-modal) on. From the photometric stage 1 this is the variant that
# ends above its control (+0.008 +- 0.003 over seeds 0-2; docs/results.md, "Which unlabelled
# loss lowers it, and on which hands").
_base_ = ['../semihand_synth_photometric.py']
model = dict(semi_train_cfg=dict(pseudo_weight=0.0))
