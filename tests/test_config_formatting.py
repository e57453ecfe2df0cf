# Copyright (c) semihand_mmpose authors. All rights reserved.
"""A run's config goes through yapf once, and comes out as yapf formats it."""
import copy
import os.path as osp

import mmengine.config.config as mmengine_config
from mmengine.config import Config

import semihand_mmpose  # noqa: F401  (puts the remembering FormatCode in place)
from semihand_mmpose.engine.config_formatting import _RememberedFormatCode

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_a_config_read_as_a_run_reads_it_is_formatted_once_as_yapf_formats_it(tmp_path,
                                                                              monkeypatch):
    remembered = mmengine_config.FormatCode
    assert isinstance(remembered, _RememberedFormatCode)
    yapf_calls = []
    yapf = remembered.format_code

    def recording_yapf(text, **kwargs):
        yapf_calls.append((text, kwargs))
        return yapf(text, **kwargs)

    monkeypatch.setattr(remembered, 'format_code', recording_yapf)
    monkeypatch.setattr(remembered, 'results', type(remembered.results)())
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'semihand_synth_finetune.py'))
    text = cfg.pretty_text
    # what a run reads besides: its dumped config, the visualizer's copy, each checkpoint's meta
    # (of the Runner's deep copy)
    cfg.dump(str(tmp_path / 'dumped.py'))
    assert open(tmp_path / 'dumped.py').read() == text
    assert copy.deepcopy(cfg).pretty_text == text
    assert len(yapf_calls) == 1
    # a changed config is formatted again, and each text is yapf's own result for its input
    cfg.merge_from_dict({'train_cfg.max_iters': 7})
    changed = cfg.pretty_text
    assert len(yapf_calls) == 2 and 'max_iters=7' in changed and changed != text
    for (raw, kwargs), formatted in zip(yapf_calls, (text, changed)):
        assert yapf(raw, **kwargs)[0] == formatted
    # and loads back as the same config
    assert Config.fromfile(str(tmp_path / 'dumped.py')).train_cfg.max_iters == 300


def test_it_remembers_the_last_few_texts_and_tells_styles_apart():
    calls = []

    def fake_yapf(text, style_config=None):
        calls.append((text, style_config))
        return f'{text}|{style_config}', True

    remembered = _RememberedFormatCode(fake_yapf, capacity=2)
    assert remembered('a', style_config='pep8') == ('a|pep8', True)
    assert remembered('a', style_config='google') == ('a|google', True)
    assert remembered('a', style_config='pep8') == ('a|pep8', True)  # a hit, now the newest
    assert len(calls) == 2
    remembered('b', style_config='pep8')  # evicts the oldest: ('a', 'google')
    remembered('a', style_config='pep8')
    assert len(calls) == 3
    remembered('a', style_config='google')
    assert calls[-1] == ('a', 'google') and len(calls) == 4
