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
