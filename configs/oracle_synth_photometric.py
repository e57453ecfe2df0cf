# The oracle of configs/pretrain_synth_photometric.py: its recipe, photometric augmentation
# included, trained on the labelled target.
_base_ = ['./pretrain_synth_photometric.py']

train_dataloader = dict(dataset=dict(domain='target'))
