# Copyright (c) semihand_mmpose authors. All rights reserved.
from .data_preprocessors import *  # noqa: F401,F403
from .estimators import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .semi import *  # noqa: F401,F403
