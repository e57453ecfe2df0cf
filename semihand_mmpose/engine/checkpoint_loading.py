# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Let MMEngine 0.10.7 resume and load its own checkpoints on torch >= 2.6.

torch 2.6 made ``torch.load(weights_only=True)`` the default. MMEngine 0.10.7 calls ``torch.load``
without the argument, and its checkpoints hold Python objects (``HistoryBuffer``, numpy scalars in
the message hub), so ``--resume`` and some ``load_from`` files fail with "Unsupported global".
Rather than patching ``torch.load`` for the whole process, this re-registers MMEngine's loader for
local paths (the ``''`` scheme of ``CheckpointLoader``), the extension point MMEngine provides, with
``weights_only=False``. As before torch 2.6, only load checkpoints you trust.
"""
import os.path as osp

import torch
from mmengine.runner.checkpoint import CheckpointLoader


def load_from_local(filename: str, map_location=None) -> dict:
    """MMEngine's ``load_from_local`` with ``weights_only=False``."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return torch.load(filename, map_location=map_location, weights_only=False)


CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)
