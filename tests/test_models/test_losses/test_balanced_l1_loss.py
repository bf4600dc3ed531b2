import math

import pytest
import torch

from detkit.models.losses import BalancedL1Loss


def test_hand_values_and_continuity():
    alpha, gamma, beta = 0.5, 1.5, 1.0
    b = math.exp(gamma / alpha) - 1
    d = torch.tensor([0.3, 2.0], dtype=torch.float64)
    out = BalancedL1Loss(reduction='none')(d, torch.zeros(2, dtype=torch.float64))
    inner = alpha / b * (b * 0.3 + 1) * math.log(b * 0.3 / beta + 1) - alpha * 0.3
    outer = gamma * 2.0 + gamma / b - alpha * beta
    assert out.tolist() == pytest.approx([inner, outer])
    # the two pieces meet at |d| = beta
    eps = 1e-9
    pts = torch.tensor([beta - eps, beta + eps], dtype=torch.float64)
    both = BalancedL1Loss(reduction='none')(pts, torch.zeros(2, dtype=torch.float64))
    assert both[0].item() == pytest.approx(both[1].item(), abs=1e-6)


def test_gradcheck():
    pred = torch.tensor([0.2, -0.7, 1.6], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x: BalancedL1Loss()(x, torch.zeros(3, dtype=torch.float64)), (pred,))
