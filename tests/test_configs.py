# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Every config under configs/ loads, and every data pipeline in it builds from the registries."""
import glob
import importlib
import os.path as osp

import pytest
from mmcv.transforms import Compose
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)


def _pipelines(node, where=''):
    """``(where, pipeline)`` for every ``pipeline`` list in a config tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'pipeline' and isinstance(value, list):
                yield f'{where}.{key}', value
            else:
                yield from _pipelines(value, f'{where}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _pipelines(value, f'{where}.{i}')


@pytest.mark.parametrize('config', CONFIGS)
def test_config_loads_and_its_pipelines_build(config):
    cfg = Config.fromfile(osp.join(ROOT, config))
    for module in cfg.get('custom_imports', {}).get('imports', []):
        importlib.import_module(module)
    pipelines = list(_pipelines(cfg.to_dict()))
    assert any('train_dataloader' in where for where, _ in pipelines), config
    for where, pipeline in pipelines:
        try:
            Compose(pipeline)
        except Exception as e:  # name the config and the pipeline that failed
            raise AssertionError(f'{config}: {where} does not build: {e}') from e

