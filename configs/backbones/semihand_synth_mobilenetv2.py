# SemiHand on the in-project synthetic hands in one command (configs/semihand_synth.py: a burn-in
# from nothing that is stage 1, then stage 2) around MobileNetV2 instead of ResNet-18: the CPU-sized
# example of another MMPose backbone. Only the backbone and the heads' input width change.
_base_ = ['../semihand_synth.py']
model = dict(estimator=dict(
    backbone=dict(_delete_=True, type='MobileNetV2', widen_factor=1., out_indices=(7, )),
    head=dict(in_channels=1280),
    mask_head=dict(in_channels=1280)))
