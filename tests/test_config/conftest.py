import os.path as osp

import pytest

CONFIGS = osp.join(osp.dirname(osp.dirname(__file__)), 'data', 'configs')


@pytest.fixture
def cfg_path():
    """cfg_path('manual/x.py') -> absolute path of a fixture config."""
    return lambda rel: osp.join(CONFIGS, rel)
