# Copyright (c) semihand_mmpose authors. All rights reserved.
import os.path as osp

import pytest
import torch
from mmengine.registry import init_default_scope

import semihand_mmpose  # noqa: F401  (registers the components)

torch.set_num_threads(2)
# components are built outside a Runner here, so set the scope a Runner would
init_default_scope('mmpose')


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory):
    """A folder for small synthetic splits shared by the whole session."""
    return str(tmp_path_factory.mktemp('synthetic_hands'))


@pytest.fixture(scope='session')
def small_split(synthetic_root):
    """A 24-image labelled target split on disk: (annotation file, split folder)."""
    from semihand_mmpose.datasets.synthetic.generator import write_split
    out = osp.join(synthetic_root, 'target-small')
    ann = write_split(out, 'target', 24, seed=7, image_size=96, nproc=1)
    return ann, out
