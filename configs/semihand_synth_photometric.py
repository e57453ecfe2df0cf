# SemiHand stage 2 from the photometrically augmented stage 1
# (configs/pretrain_synth_photometric.py, run that first), its labelled source batches augmented
# the same way. Everything else is the default stage 2 (configs/semihand_synth_finetune.py).
# Measured over seeds 0-2: target AUC 0.456 +- 0.003, 0.017 +- 0.004 below the same run with every
# unlabelled loss off and below the 0.477 it starts from: its pseudo-labels (9.7 px off) are
# hardly better than the model (9.9 px), and training on them pulls it down (docs/results.md, "A
# source-only baseline with photometric augmentation").
_base_ = ['./semihand_synth_finetune.py']

load_from = 'work_dirs/pretrain_synth_photometric/iter_850.pth'
# the labelled branch: stage 1's pipeline with the student's photometric steps after the crop
sup_pipeline = _base_.sup_pipeline[:-2] + _base_.photometric + _base_.sup_pipeline[-2:]
# config lists replace rather than merge: both datasets are given in full
train_dataloader = dict(dataset=dict(datasets=[dict(_base_.labelled, pipeline=sup_pipeline),
                                               _base_.unlabelled]))
