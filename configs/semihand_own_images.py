# SemiHand on images of your own: RHD labelled + your images unlabelled, from the RHD checkpoint of
# configs/pretrain_rhd.py; everything else as configs/semihand_stb.py. Prepare the data first:
#   python tools/dataset_converters/rhd_to_hand3d.py data/RHD_published_v2 --out-dir data/rhd
#   python tools/dataset_converters/images_to_hand3d.py data/own/images --out-dir data/own \
#       [--boxes data/own/boxes.json] [--focal F]
# Your domain has no labelled image, so there is no validation or test loop: the log's pseudo-label
# rounds (the fraction kept, the mean confidence, the labels' movement since the last round) follow
# the adaptation, and tools/misc/export_adapted_model.py gives the model for your images with
# their batch-norm statistics (README, "Your own images").
_base_ = ['./semihand_stb.py']

own_images = 'data/own/images/'
own = dict(type='Hand3DDataset', ann_file='data/own/unlabelled.json',
           data_prefix=dict(img=own_images), labelled=False, dataset_name='own_unlabelled',
           missing_data_hint=dict(converter='images_to_hand3d', source=own_images))

train_dataloader = dict(dataset=dict(
    datasets=[_base_.labelled, dict(own, pipeline=_base_.unsup_pipeline)]))
semihand_hook = _base_.custom_hooks[1]
custom_hooks = [
    _base_.custom_hooks[0],
    dict(semihand_hook, val_before_adaptation=False,
         pseudo_dataloader=dict(semihand_hook.pseudo_dataloader,
                                dataset=dict(own, pipeline=_base_.pseudo_pipeline))),
]
val_dataloader, val_cfg, val_evaluator = None, None, None
test_dataloader, test_cfg, test_evaluator = None, None, None
default_hooks = dict(checkpoint=dict(save_best=None, rule=None))
