# Copyright (c) semihand_mmpose authors. All rights reserved.
from .metrics import *  # noqa: F401,F403
