# Ablation: the student sees a weak view (the teacher's original crop) instead of a strong one.
_base_ = ['../semihand_synth_finetune.py']
weak_student = [dict(type='HandAffine', input_size=_base_.input_size),
                dict(type='PackHand3DInputs')]
# config lists replace rather than merge: both datasets are given in full
train_dataloader = dict(dataset=dict(datasets=[
    _base_.labelled,
    dict(_base_.unlabelled, pipeline=[
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale', padding=1.25),
        dict(type='mmdet.MultiBranch', branch_field=_base_.branch_field,
             unsup_student=weak_student, **_base_.train_teacher_branches),
    ]),
]))
