# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Install ``semihand_mmpose``, an MMPose 1.x plugin for semi-supervised 3D hand pose estimation."""
import os.path as osp

from setuptools import find_packages, setup


def readme() -> str:
    with open(osp.join(osp.dirname(__file__), 'README.md'), encoding='utf-8') as f:
        return f.read()


def version() -> str:
    scope: dict = {}
    with open(osp.join(osp.dirname(__file__), 'semihand_mmpose', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='semihand_mmpose',
    version=version(),
    description='SemiHand (ICCV 2021) for MMPose: semi-supervised 3D hand pose from one RGB image',
    long_description=readme(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
    # dataset metainfo, an MMEngine config file rather than a module
    package_data={'semihand_mmpose': ['datasets/metainfo/*.py']},
    python_requires='>=3.8',
    # The pinned stack (torch, mmcv built from source, mmpose without chumpy) is installed by
    # tools/setup_env.sh; declaring it here would make pip try to build chumpy and mmcv itself.
    install_requires=[],
    license='Apache License 2.0',
    zip_safe=False,
)
