# The oracle with the budget of stage 1 plus the long stage 2 (850 + 600 = 1450 iterations), the
# upper bound to compare configs/semihand_synth_long.py with: the source-only recipe of the same
# length (pretrain_synth_long.py) trained on the labelled target, as oracle_synth.py is to
# pretrain_synth.py.
_base_ = ['./pretrain_synth_long.py']

train_dataloader = dict(dataset=dict(domain='target'))
