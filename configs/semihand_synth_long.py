# SemiHand stage 2 on the synthetic hands with twice the budget of semihand_synth_finetune.py:
# 600 iterations, a pseudo-label round every 150 (rounds 0-3), the cosine schedule stretched to the
# end. Everything else is the default stage 2, so it starts from the same source-only checkpoint
# (configs/pretrain_synth.py) and its ablations are the default's with this budget. Measured with
# seeds 0-2: target AUC 0.505 ± 0.002 against 0.488 in 300 iterations (README, "A longer stage 2").
_base_ = ['./semihand_synth_finetune.py']

semi_iters = 600
round_interval = 150
max_iters = _base_.burn_in_iters + semi_iters
custom_hooks = [
    _base_.custom_hooks[0],
    dict(_base_.custom_hooks[1], round_interval=round_interval),
]
train_cfg = dict(max_iters=max_iters, val_interval=round_interval)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.1, by_epoch=False),
    dict(type='CosineAnnealingLR', begin=50, end=max_iters, T_max=max_iters - 50, eta_min=1e-5,
         by_epoch=False),
]
default_hooks = dict(checkpoint=dict(interval=round_interval))
