# Control of configs/semihand_synth_photometric.py: the same stage 2 from the photometric stage 1
# with every unlabelled loss off, as semihand_synth_no_unlabelled.py is the default's control.
_base_ = ['../semihand_synth_photometric.py']
model = dict(semi_train_cfg=dict(pseudo_weight=0.0, pert_weight=0.0, xmodal_weight=0.0))
