# The oracle with the budget of stage 1 plus the default stage 2 (850 + 300 = 1150 iterations),
# the upper bound to compare configs/semihand_synth_finetune.py with: the source-only recipe of
# the same length (pretrain_synth_same_budget.py) trained on the labelled target, as
# oracle_synth.py is to pretrain_synth.py.
_base_ = ['./pretrain_synth_same_budget.py']

train_dataloader = dict(dataset=dict(domain='target'))
