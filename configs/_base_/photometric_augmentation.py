# The student's photometric perturbation: MMPose's PhotometricDistortion (brightness, contrast,
# saturation, hue), then blur and sensor noise. One definition for the three places that use it:
# SemiHand's strong view (configs/_base_/semihand_views.py) and the labelled batches of the
# photometric source-only baseline and of the stage 2 that starts from it
# (configs/pretrain_synth_photometric.py, configs/semihand_synth_photometric.py). Each inserts it
# after the crop, on the network's input.
photometric = [dict(type='PhotometricDistortion'), dict(type='RandomBlurNoise')]
