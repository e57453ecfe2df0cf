# Copyright (c) semihand_mmpose authors. All rights reserved.
from .estimators import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .semi import *  # noqa: F401,F403
