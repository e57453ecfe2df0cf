# Control: stage 2 with every unlabelled loss off. The model keeps training on the labelled source
# for the same iterations, at the same rates, with the same data; what SemiHand adds on top of
# these extra iterations is the difference to configs/semihand_synth_finetune.py.
_base_ = ['../semihand_synth_finetune.py']
# (The student still runs on the strong view, unused, so batch-norm statistics see target images
# as they do in SemiHand.)
model = dict(semi_train_cfg=dict(pseudo_weight=0.0, pert_weight=0.0, xmodal_weight=0.0))
