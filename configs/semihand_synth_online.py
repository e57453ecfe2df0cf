# SemiHand with an online EMA teacher instead of offline rounds: pseudo-labels are made on every
# step by the teacher (an exponential moving average of the student, kept by mmdet's
# MeanTeacherHook) from its views of the same unlabelled images.
_base_ = ['./semihand_synth_finetune.py']

model = dict(semi_train_cfg=dict(mode='online', selection=dict(mode='threshold', value=0.3),
                                 predict_on='teacher'))
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='SemiHandHook', mode='online', burn_in_iters=_base_.burn_in_iters),
    dict(type='mmdet.MeanTeacherHook', momentum=0.002, interval=1),
]
