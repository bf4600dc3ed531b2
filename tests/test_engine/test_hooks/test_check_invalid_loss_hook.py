import pytest
import torch

from detkit.engine import CheckInvalidLossHook

from .._toy import ToyModel, toy_loader
from ._run import make_runner


class NanAtThirdIteration(ToyModel):
    calls = 0

    def train_step(self, data, optimizer):
        out = super().train_step(data, optimizer)
        self.calls += 1
        if self.calls == 3:
            out['loss'] = out['loss'] * float('nan')
            out['log_vars']['loss'] = float('nan')
        return out


def test_stops_with_the_iteration_and_the_losses():
    runner = make_runner(model=NanAtThirdIteration(), epochs=1)
    runner.register_hook(CheckInvalidLossHook(interval=1), 'VERY_LOW')
    with pytest.raises(RuntimeError) as e:
        runner.run([toy_loader(8, 2)], [('train', 1)])
    msg = str(e.value)
    assert 'epoch 1, iteration 3' in msg and 'loss: nan' in msg and 'loss_mse: ' in msg


def test_only_checks_every_interval():
    runner = make_runner(model=NanAtThirdIteration(), epochs=1)
    runner.register_hook(CheckInvalidLossHook(interval=2), 'VERY_LOW')
    runner.run([toy_loader(8, 2)], [('train', 1)])  # iterations 2 and 4 are finite
    assert runner.iter == 4 and not torch.isfinite(torch.tensor(float('nan')))
