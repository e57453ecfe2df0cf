# The oracle with the budget of stage 1 plus the long stage 2 (850 + 600 = 1450 iterations), the
# upper bound to compare configs/semihand_synth_long.py with: trained as long as the source-only
# model and its fine-tuning together, so that the long stage 2's extra iterations are not counted
# as adaptation. The schedule is oracle_synth.py's, stretched.
_base_ = ['./oracle_synth.py']

max_iters = 1450
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=100, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', begin=100, end=max_iters, T_max=max_iters - 100, eta_min=2e-5,
         by_epoch=False),
]
default_hooks = dict(checkpoint=dict(interval=max_iters))
