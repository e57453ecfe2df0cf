# The upper bound for adaptation: the pre-training recipe trained on the *labelled target* domain
# (labels SemiHand never uses). Compared with pretrain_synth.py on target test it measures the
# domain gap that SemiHand is meant to close.
_base_ = ['./pretrain_synth.py']

train_dataloader = dict(dataset=dict(domain='target'))
