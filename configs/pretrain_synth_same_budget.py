# Stage 1 (source-only) trained for 1150 iterations: the budget of stage 1 (850) plus the default
# stage 2 (configs/semihand_synth_finetune.py, 300), so that source-only, SemiHand and the oracle
# (configs/oracle_synth_same_budget.py) are compared with the same number of iterations: the
# adaptation benchmark's `--source source_only_same_budget --oracle oracle_same_budget`. The
# schedule is pretrain_synth.py's, stretched, as in pretrain_synth_long.py (850 + 600).
_base_ = ['./pretrain_synth.py']

max_iters = 1150
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
# the base's warm-up and cosine decay, the decay stretched to the new end
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=max_iters,
         T_max=max_iters - _base_.param_scheduler[1]['begin']),
]
default_hooks = dict(checkpoint=dict(interval=max_iters))
