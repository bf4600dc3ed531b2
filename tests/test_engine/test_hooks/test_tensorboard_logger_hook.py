"""TensorboardLoggerHook against a stand-in SummaryWriter (tensorboard is optional)."""

import sys
import types

import pytest

from detkit.engine import TensorboardLoggerHook

from .._toy import toy_loader
from ._run import make_runner


class FakeWriter:
    instances = []

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.scalars, self.texts, self.closed = [], [], False
        FakeWriter.instances.append(self)

    def add_scalar(self, tag, value, step):
        self.scalars.append((tag, value, step))

    def add_text(self, tag, value, step):
        self.texts.append((tag, value, step))

    def close(self):
        self.closed = True


@pytest.fixture
def fake_tensorboard(monkeypatch):
    module = types.ModuleType('torch.utils.tensorboard')
    module.SummaryWriter = FakeWriter
    monkeypatch.setitem(sys.modules, 'torch.utils.tensorboard', module)
    FakeWriter.instances.clear()
    return FakeWriter


def test_scalars_tags_and_steps(tmp_path, fake_tensorboard):
    runner = make_runner(tmp_path, epochs=1, lr=0.1, momentum=0.9)
    runner.register_training_hooks(
        None,
        dict(grad_clip=None),
        log_config=dict(interval=2, hooks=[dict(type='TensorboardLoggerHook')]),
    )
    runner.run([toy_loader(8, 2)], [('train', 1)])
    writer = fake_tensorboard.instances[0]
    assert writer.log_dir == str(tmp_path / 'tf_logs') and writer.closed
    steps = sorted({s for _, _, s in writer.scalars})
    assert steps == [2, 4]
    tags = {t for t, _, s in writer.scalars if s == 2}
    # time/data_time are skipped; lr and momentum of the first param group are added
    assert tags == {'train/loss_mse', 'train/loss', 'learning_rate', 'momentum'}
    assert ('learning_rate', 0.1, 2) in writer.scalars and ('momentum', 0.9, 4) in writer.scalars


def test_custom_log_dir(tmp_path, fake_tensorboard):
    runner = make_runner(tmp_path, epochs=1)
    runner.register_hook(TensorboardLoggerHook(log_dir=str(tmp_path / 'tb'), interval=1))
    runner.run([toy_loader(4, 2)], [('train', 1)])
    assert fake_tensorboard.instances[0].log_dir == str(tmp_path / 'tb')


def test_scalar_kinds():
    import numpy as np
    import torch

    is_scalar = TensorboardLoggerHook.is_scalar
    assert all(is_scalar(v) for v in (1, 2.5, np.float32(1), np.array(3.0), torch.tensor([2.0])))
    assert not any(is_scalar(v) for v in ('1', [1.0], np.ones(2), torch.ones(2)))
