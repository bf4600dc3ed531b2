import copy

import pytest
import torch

from detkit.engine import GradientCumulativeOptimizerHook

from .._toy import toy_loader
from ._run import make_runner


def test_matches_manual_accumulation_with_a_short_tail():
    torch.manual_seed(0)
    runner = make_runner(epochs=1, lr=0.1)
    reference = copy.deepcopy(runner.model).double()
    loader = toy_loader(8, 1)  # 8 iterations; windows of 3, 3 and a tail of 2
    runner.register_training_hooks(
        None, dict(type='GradientCumulativeOptimizerHook', cumulative_iters=3)
    )
    runner.run([loader], [('train', 1)])

    batches = list(loader)
    opt = torch.optim.SGD(reference.parameters(), lr=0.1)
    for window in (batches[0:3], batches[3:6], batches[6:8]):
        opt.zero_grad()
        for data in window:
            loss = (reference.linear(data['img'].double()) - data['target'].double()).pow(2).mean()
            (loss / len(window)).backward()
        opt.step()
    for a, b in zip(runner.model.parameters(), reference.parameters()):
        torch.testing.assert_close(a.double(), b, rtol=0, atol=1e-6)


def test_argument_check():
    with pytest.raises(ValueError, match='positive int'):
        GradientCumulativeOptimizerHook(cumulative_iters=0)


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU (bfloat16) path')
def test_fp16_variant_accumulates_under_autocast():
    results = []
    for cfg in (
        dict(type='GradientCumulativeOptimizerHook', cumulative_iters=3),
        dict(type='GradientCumulativeFp16OptimizerHook', cumulative_iters=3, loss_scale=512.0),
    ):
        torch.manual_seed(0)
        runner = make_runner(epochs=1, lr=0.1)
        w0 = runner.model.linear.weight.detach().clone()
        # the plain hook gets by hand the bf16 autocast the fp16 hook sets in before_run
        runner.autocast = dict(device_type='cpu', dtype=torch.bfloat16)
        runner.register_training_hooks(None, cfg)
        runner.run([toy_loader(8, 1)], [('train', 1)])
        results.append(runner)
    plain, fp16 = results
    assert type(fp16.hooks[0]).__name__ == 'GradientCumulativeFp16OptimizerHook'
    assert fp16.hooks[0].fp16.loss_scaler is None  # bfloat16: no scaling
    assert not torch.equal(fp16.model.linear.weight, w0)
    # same bf16 forward, same accumulation windows: the same weights
    for a, b in zip(plain.model.parameters(), fp16.model.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
