# SemiHand on Dexter+Object: RHD labelled + DO unlabelled, evaluated on the DO fingertips (frames
# with fewer than 2 valid tips left out) with both published protocols at once: AUC over 0-100 mm
# in absolute camera coordinates (Iqbal et al.; Mueller et al.), logged as hand3d/*, and AUC over
# 20-50 mm after centroid-and-scale alignment (Zhou et al.), logged as hand3d_aligned/*. The two
# ranges are not comparable. The best checkpoint is chosen by the first.
# Prepare the data first:
#   python tools/dataset_converters/dexter_object_to_hand3d.py data/dexter_object --out-dir data/do
_base_ = ['./semihand_stb.py']

do_images = 'data/dexter_object/'
do_hint = dict(converter='dexter_object_to_hand3d', source='data/dexter_object')
do_all = dict(type='Hand3DDataset', ann_file='data/do/do_test.json',
              data_prefix=dict(img=do_images), missing_data_hint=do_hint)
unlabelled = dict(do_all, dataset_name='do_unlabelled', labelled=False,
                  pipeline=_base_.unsup_pipeline)
train_dataloader = dict(dataset=dict(datasets=[_base_.labelled, unlabelled]))
val_dataloader = dict(dataset=dict(_delete_=True, **do_all, dataset_name='do', test_mode=True,
                                   pipeline=_base_.test_pipeline))
test_dataloader = val_dataloader
fingertips = dict(type='Hand3DMetric', scale='none', joint_subset=(4, 8, 12, 16, 20),
                  min_valid_joints=2)
val_evaluator = [
    dict(fingertips, auc_range=(0.0, 100.0), alignment='none'),
    dict(fingertips, auc_range=(20.0, 50.0), alignment='centroid_scale', prefix='hand3d_aligned'),
]
test_evaluator = val_evaluator
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='SemiHandHook', mode='offline', burn_in_iters=0,
         round_interval=_base_.round_interval,
         val_before_adaptation=True, adapt_bn_batches=16, eval_target_bn=True,
         pseudo_dataloader=dict(
             batch_size=64, num_workers=4, persistent_workers=False,
             sampler=dict(type='DefaultSampler', shuffle=False),
             dataset=dict(unlabelled, pipeline=_base_.pseudo_pipeline))),
]
