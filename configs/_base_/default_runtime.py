# Runtime shared by every semihand_mmpose config (MMPose's default runtime, iteration-based).
default_scope = 'mmpose'
custom_imports = dict(imports=['semihand_mmpose'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=500, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # MMPose's PoseVisualizationHook, heeding `interval` (tools/test.py --interval) in a test too
    # (semihand_mmpose/engine/hooks/visualization_hook.py); kpt_thr=0: Hand25DHead's scores
    # (heatmap mass near the peak) are not calibrated to MMPose's 0.3
    visualization=dict(type='IntervalPoseVisualizationHook', enable=False, kpt_thr=0.0),
    # on the CPU, one batched weight gradient for convolutions on maps of <= 9 pixels (a ResNet's
    # last stage at 64-96 px): oneDNN's per-image one made a 64 px ResNet-18 step 15% slower on
    # an AVX2 CPU; on an AVX-512 one it is as fast
    # (semihand_mmpose/engine/hooks/small_map_conv_grad_hook.py). Does nothing on a GPU.
    # Off: --cfg-options default_hooks.small_map_conv_grad.max_pixels=0 (MMEngine's Runner
    # refuses None for a default hook it does not know)
    small_map_conv_grad=dict(type='SmallMapConvGradHook'),
    # the random generators' states in every checkpoint, restored on resume: with num_workers=0
    # the augmentations draw from them, and without this a resumed run trains on other ones
    # than the run it continues (semihand_mmpose/engine/hooks/random_state_hook.py)
    random_state=dict(type='RandomStateHook'))

custom_hooks = [dict(type='SyncBuffersHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='PoseLocalVisualizer', vis_backends=vis_backends, name='visualizer')

log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False, num_digits=6)
log_level = 'INFO'
load_from = None
resume = False
backend_args = dict(backend='local')
randomness = dict(seed=0)
