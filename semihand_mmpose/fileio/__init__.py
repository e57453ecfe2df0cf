# Copyright (c) semihand_mmpose authors. All rights reserved.
"""File writing below every other part of the package (as :mod:`mmengine.fileio` is below the
runner): datasets, biomech, engine and evaluation all write through it."""
from .atomic_local_backend import (AtomicLocalBackend, remove_stale_temporaries,  # noqa: F401
                                   sync_directory)
