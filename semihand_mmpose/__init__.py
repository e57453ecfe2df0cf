# Copyright (c) semihand_mmpose authors. All rights reserved.
"""SemiHand for MMPose: semi-supervised 3D hand pose estimation from one RGB image.

Importing the package registers its components in MMPose's registries (use
``custom_imports = dict(imports=['semihand_mmpose'])`` in a config), makes MMEngine's checkpoint
loading work on torch >= 2.6 and its local file writes (checkpoints) atomic, and has a run's config
formatted once rather than for every copy of it (engine/config_formatting.py).
"""
# fileio first: it registers the atomic local file backend and imports nothing of the package
from . import fileio  # noqa: F401
from . import codecs, datasets, engine, evaluation, models  # noqa: F401
from .version import __version__

__all__ = ['__version__']
