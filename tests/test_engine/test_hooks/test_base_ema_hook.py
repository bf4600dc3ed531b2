import math

import pytest
import torch

from detkit.engine import BaseEMAHook, EMAHook, ExpMomentumEMAHook, LinearMomentumEMAHook

from .._toy import toy_loader
from ._run import ParamRecorder, make_runner


def _ema_run(hook, tmp_path=None):
    torch.manual_seed(0)
    runner = make_runner(tmp_path, epochs=1)
    w0 = runner.model.linear.weight.detach().clone().double()
    runner.register_training_hooks(None, dict(grad_clip=None))
    runner.register_hook(hook, 49)  # as in MMDetection's YOLOX configs: after the optimizer
    rec = ParamRecorder()
    runner.register_hook(rec, 'LOWEST')
    runner.run([toy_loader(8, 2)], [('train', 1)])
    return runner, w0, rec.weights


def _expected(w0, weights, momenta):
    ema = w0
    for w, m in zip(weights, momenta):
        ema = (1 - m) * ema + m * w
    return ema


def test_base_ema_update_and_swap(tmp_path):
    runner, w0, weights = _ema_run(BaseEMAHook(momentum=0.3), tmp_path)
    expected = _expected(w0, weights, [0.3] * 4)
    model = runner.model
    # after the epoch the model holds the average and the buffer the raw weights
    torch.testing.assert_close(model.linear.weight.double(), expected, rtol=0, atol=1e-6)
    torch.testing.assert_close(model.ema_linear_weight.double(), weights[-1], rtol=0, atol=0)
    assert 'ema_linear_bias' in dict(model.named_buffers())


def test_ema_buffers_are_checkpointed_under_mmdet_names(tmp_path):
    runner, _, _ = _ema_run(BaseEMAHook(momentum=0.3), tmp_path)
    runner.save_checkpoint(str(tmp_path))
    keys = set(torch.load(tmp_path / 'latest.pth', weights_only=True)['state_dict'])
    assert keys == {'linear.weight', 'linear.bias', 'ema_linear_weight', 'ema_linear_bias'}


def test_interval_and_exp_momentum():
    hook = ExpMomentumEMAHook(momentum=0.1, total_iter=3, interval=2)
    runner, w0, weights = _ema_run(hook)
    # updates after iterations 1 and 3 (0-based), momentum (1 - m) e^{-(1 + i)/T} + m
    momenta = [(1 - 0.1) * math.exp(-(1 + i) / 3) + 0.1 for i in (1, 3)]
    expected = _expected(w0, [weights[1], weights[3]], momenta)
    torch.testing.assert_close(runner.model.linear.weight.double(), expected, rtol=0, atol=1e-6)


def test_linear_momentum_and_mmcv_ema_hook():
    hook = LinearMomentumEMAHook(momentum=0.5, warm_up=3)
    runner, w0, weights = _ema_run(hook)
    momenta = [min(0.5, (1 + i) / (3 + i)) for i in range(4)]
    torch.testing.assert_close(
        runner.model.linear.weight.double(), _expected(w0, weights, momenta), rtol=0, atol=1e-6
    )
    runner, w0, weights = _ema_run(EMAHook(momentum=0.5, warm_up=3))
    torch.testing.assert_close(
        runner.model.linear.weight.double(), _expected(w0, weights, momenta), rtol=0, atol=1e-6
    )


def test_momentum_range():
    with pytest.raises(ValueError, match=r'momentum must be in \(0, 1\)'):
        BaseEMAHook(momentum=1.5)
