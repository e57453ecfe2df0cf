# Stage 1 with the student's photometric perturbation (MMPose's PhotometricDistortion, then blur and
# noise) on the labelled source: a stronger source-only baseline than configs/pretrain_synth.py,
# whose only augmentation is geometric. On the synthetic domains most of the gap is photometric
# (colour cast, blur, sensor noise, JPEG), and this covers much of it without a target image:
# target AUC 0.477 at 850 iterations against 0.341, and 0.504 at 1150 iterations, above what
# SemiHand reaches from the plain baseline (docs/results.md, "A source-only baseline with
# photometric augmentation").
_base_ = ['./pretrain_synth.py', './_base_/photometric_augmentation.py']

# after the crop (the perturbation is applied to the network's input), before the target encoding
train_pipeline = _base_.train_pipeline[:-2] + _base_.photometric + _base_.train_pipeline[-2:]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
