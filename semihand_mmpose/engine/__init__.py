# Copyright (c) semihand_mmpose authors. All rights reserved.
from . import checkpoint_loading  # noqa: F401  (registers the local checkpoint loader)
from .hooks import *  # noqa: F401,F403
