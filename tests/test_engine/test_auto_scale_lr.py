import logging

import pytest

from detkit.config import Config
from detkit.engine import auto_scale_lr


def _cfg(enable=True, base=16, samples=2):
    return Config(
        dict(
            optimizer=dict(type='SGD', lr=0.02),
            data=dict(samples_per_gpu=samples),
            auto_scale_lr=dict(enable=enable, base_batch_size=base),
        )
    )


def test_linear_scaling():
    cfg = _cfg()
    auto_scale_lr(cfg, num_gpus=4, logger=logging.getLogger('detkit.test'))
    assert cfg.optimizer.lr == pytest.approx(0.02 * 8 / 16)


def test_disabled_equal_and_dataloader_override():
    cfg = _cfg(enable=False)
    auto_scale_lr(cfg, num_gpus=1)
    assert cfg.optimizer.lr == 0.02
    cfg = _cfg(samples=4)
    auto_scale_lr(cfg, num_gpus=4)
    assert cfg.optimizer.lr == 0.02  # 4 x 4 == base_batch_size
    cfg = _cfg()
    cfg.data.train_dataloader = dict(samples_per_gpu=8)
    auto_scale_lr(cfg, num_gpus=1)
    assert cfg.optimizer.lr == pytest.approx(0.01)
    cfg = Config(dict(optimizer=dict(lr=0.02), data=dict(samples_per_gpu=2)))
    auto_scale_lr(cfg, num_gpus=8)  # no auto_scale_lr section: unchanged
    assert cfg.optimizer.lr == 0.02
