# Copyright (c) semihand_mmpose authors. All rights reserved.
from . import checkpoint_loading  # noqa: F401  (registers the local checkpoint loader)
from . import config_formatting  # noqa: F401  (yapf formats a run's config once)
from .batch_norm_adaptation import adapt_batch_norm, restore_batch_norm  # noqa: F401
from .hooks import *  # noqa: F401,F403
from .pseudo_label_rounds import (PseudoLabelFileError, check_round_shapes,  # noqa: F401
                                  dataset_fingerprint, load_round, read_round_log, save_round,
                                  write_round_log)
