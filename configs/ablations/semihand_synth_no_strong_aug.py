# Ablation: the student sees a weak view (the teacher's original crop) instead of a strong one.
_base_ = ['../semihand_synth_finetune.py']
weak_student = [dict(type='HandAffine', input_size=_base_.input_size),
                dict(type='PackHand3DInputs')]
# config lists replace rather than merge: both datasets are given in full, the unlabelled one with
# the default's pipeline but for the student's branch
train_dataloader = dict(dataset=dict(datasets=[
    _base_.labelled,
    dict(_base_.unlabelled, pipeline=_base_.unsup_pipeline[:-1] + [
        dict(_base_.unsup_pipeline[-1], unsup_student=weak_student)]),
]))
