# SemiHand stage 2 on the synthetic hands with the two settings that measured best there, chosen on
# target-test AUC (so read its figures as tuned, not held out): the pseudo-label loss at a quarter
# of the paper's weight, and a student view with photometric perturbation only. The paper's strong
# view (configs/semihand_synth_finetune.py, the default) also rotates, scales and shifts the crop
# and cuts holes in it; on these domains both cost accuracy (docs/results.md, "The student's
# view"). The teacher's views keep their rotations, mapped back to the original crop exactly.
# Everything else, and every switch of configs/ablations/, is as in the default. A second labelled
# target split makes the same two choices; on it, and on 2,000 fresh target hands, a stage-2 rate
# of 6e-4 (`--cfg-options optim_wrapper.optimizer.lr=6e-4`) adds 0.005 more, on target test 0.0002
# (docs/results.md, "A held-out check"). At that rate, one student forward for both domains
# (`model.semi_train_cfg.joint_forward=True`) added 0.0021 to 0.0048 on the 2,000 hands from
# five stage-1 models and took 0.0041 off from a sixth; at this config's rate 0.0034 to 0.0046
# from the same five and 0.0040 off from the same sixth (docs/results.md, "One forward for both
# domains", "... from three more stage-1 models" and "A sixth stage-1 model"); left off here.
_base_ = ['./semihand_synth_finetune.py']

model = dict(semi_train_cfg=dict(pseudo_weight=0.25))

photometric_student = [_base_.affine] + _base_.photometric + [_base_.pack]
# config lists replace rather than merge: both datasets are given in full, the unlabelled one with
# the default's pipeline but for the student's branch
train_dataloader = dict(dataset=dict(datasets=[
    _base_.labelled,
    dict(_base_.unlabelled, pipeline=_base_.unsup_pipeline[:-1] + [
        dict(_base_.unsup_pipeline[-1], unsup_student=photometric_student)]),
]))
