import pytest
import torch
import torch.nn as nn

from detkit.engine import OptimizerHook

from .._toy import ToyModel, toy_loader
from ._run import make_runner


def _hand_grads(model, data):
    """float64 gradient of mean((w x + b - y)^2): 2/B * sum(r x), 2/B * sum(r)."""
    x, y = data['img'].double(), data['target'].double()
    w, b = model.linear.weight.detach().double(), model.linear.bias.detach().double()
    r = x @ w.T + b - y
    return 2 * (r * x).mean(0, keepdim=True), 2 * r.mean(0)


def test_grad_clip_logs_the_norm_and_clips():
    torch.manual_seed(0)
    runner = make_runner(epochs=1, lr=0.5)
    model = runner.model
    loader = toy_loader(2, 2)
    gw, gb = _hand_grads(model, next(iter(loader)))
    w0 = model.linear.weight.detach().double().clone()
    runner.register_training_hooks(None, dict(grad_clip=dict(max_norm=0.1, norm_type=2)))
    runner.run([loader], [('train', 1)])
    norm = torch.cat([gw.flatten(), gb]).norm().item()
    assert runner.log_buffer.val_history['grad_norm'] == [pytest.approx(norm, rel=1e-5)]
    assert norm > 0.1
    # the step moved the weight by lr * (clipped grad) = 0.5 * grad * 0.1 / norm
    step = w0 - model.linear.weight.detach().double()
    torch.testing.assert_close(step, 0.5 * gw * 0.1 / (norm + 1e-6), rtol=1e-4, atol=0)


def test_detect_anomalous_params(caplog):
    model = ToyModel()
    model.unused = nn.Linear(2, 2)
    runner = make_runner(model=model, epochs=1)
    runner.register_training_hooks(None, dict(detect_anomalous_params=True))
    hook = runner.hooks[0]
    loss = model.train_step(next(iter(toy_loader(2, 2))), None)['loss']
    assert hook.detect_anomalous_parameters(loss, runner) == ['unused.weight', 'unused.bias']


def test_grad_clip_must_be_a_dict():
    with pytest.raises(TypeError, match='grad_clip must be None or a dict'):
        OptimizerHook(grad_clip=35)
