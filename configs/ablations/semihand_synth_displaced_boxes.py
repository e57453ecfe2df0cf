# SemiHand with simulated detector failures on the unlabelled images: a quarter of them are cropped
# around a box moved by 35% of its size (DisplaceBBox), the same crops in training and in the
# rounds; the test sets are cropped as before. Those images' pseudo-labels are the failures that
# confidence selection is there to leave out, a tail the synthetic target has none of
# (docs/results.md, "Selection with simulated detector failures"). Its twin without selection is
# semihand_synth_displaced_boxes_no_selection.py. The hook re-estimates the test's batch-norm
# statistics on its labelling crops (eval_target_bn), displaced here as well: even the untrained
# source-only model scores 0.4326 instead of 0.4285 so. Compare these runs with each other, not
# with runs on undisplaced crops.
_base_ = ['../semihand_synth_finetune.py']

displace = dict(type='DisplaceBBox', fraction=0.25, shift=0.35)


def _displaced(pipeline):
    """``pipeline`` with the boxes displaced right after they are made."""
    at = [step['type'] for step in pipeline].index('GetBBoxCenterScale') + 1
    return pipeline[:at] + [displace] + pipeline[at:]


# config lists replace rather than merge: the datasets and the hooks are given in full
train_dataloader = dict(dataset=dict(datasets=[
    _base_.labelled, dict(_base_.unlabelled, pipeline=_displaced(_base_.unsup_pipeline))]))
_hook = _base_.custom_hooks[1]
custom_hooks = [
    _base_.custom_hooks[0],
    dict(_hook, pseudo_dataloader=dict(_hook.pseudo_dataloader, dataset=dict(
        _hook.pseudo_dataloader.dataset, pipeline=_displaced(_base_.pseudo_pipeline)))),
]
del _hook
