# The default stage 2 (from the plain stage 1, configs/pretrain_synth.py) with its labelled source
# batches photometrically augmented as the student's view is: what that augmentation does without
# a stage 1 that had it (docs/results.md, "A source-only baseline with photometric augmentation").
_base_ = ['../semihand_synth_photometric.py']

load_from = 'work_dirs/pretrain_synth/iter_850.pth'
