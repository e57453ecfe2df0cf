# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Format a run's config with yapf once, not once per copy of it.

MMEngine 0.10.7's ``Config.pretty_text`` runs yapf over the whole config each time it is read,
and a run reads it for the log, for ``<work_dir>/<config>.py``, for the visualizer's copy and for
the meta of every checkpoint: the same text formatted again each time. With this project's
configs (their teacher and student branches, and on real data the long "convert first" hints
that were nested in every dataset) yapf took 1.3 s (``configs/semihand_synth.py``) to 4.6 s
(``configs/semihand_do.py``) per call on 2 CPU cores: a CLI run spent 4-14 s formatting before
its first iteration and 1-5 s more at every checkpoint, and the test suite, which starts some
twenty such runs, over three minutes (the CLI tests of tests/test_real_configs.py,
test_semihand_tools.py and test_tools.py: 480 -> 295 s). MMEngine's ``format_python_code=False``
would skip yapf altogether, but ``Config.fromfile`` does not pass it on (0.10.7) and the log would
show the config unformatted.

This remembers yapf's ``FormatCode`` result for the last few input texts, in place of the
module-level name ``mmengine.config.config`` calls. A hit needs the very same unformatted text
(and style), so the result is always what yapf would return: a changed config is formatted
again.
"""
from collections import OrderedDict
from typing import Any, Tuple

import mmengine.config.config as mmengine_config

_CAPACITY = 8


class _RememberedFormatCode:
    """``yapf.yapflib.yapf_api.FormatCode`` that remembers its last ``capacity`` results."""

    def __init__(self, format_code, capacity: int = _CAPACITY) -> None:
        self.format_code = format_code
        self.capacity = capacity
        self.results: 'OrderedDict[str, Tuple[str, bool]]' = OrderedDict()

    def __call__(self, text: str, **kwargs: Any) -> Tuple[str, bool]:
        key = repr((text, sorted((k, repr(v)) for k, v in kwargs.items())))
        if key in self.results:
            self.results.move_to_end(key)
            return self.results[key]
        result = self.format_code(text, **kwargs)
        self.results[key] = result
        if len(self.results) > self.capacity:
            self.results.popitem(last=False)
        return result


if not hasattr(mmengine_config.FormatCode, 'results'):  # once, even if this module is reloaded
    mmengine_config.FormatCode = _RememberedFormatCode(mmengine_config.FormatCode)
