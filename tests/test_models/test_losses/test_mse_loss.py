import pytest
import torch

from detkit.models.losses import MSELoss


def test_values():
    pred = torch.tensor([1.0, 2.0, 4.0])
    target = torch.tensor([0.0, 0.0, 1.0])
    assert MSELoss()(pred, target).item() == pytest.approx((1 + 4 + 9) / 3)
    w = torch.tensor([1.0, 0.0, 1.0])
    assert MSELoss(loss_weight=2.)(pred, target, w, avg_factor=2).item() == pytest.approx(10.0)


def test_gradcheck():
    pred = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    target = torch.randn(3, 2, dtype=torch.float64)
    w = torch.rand(3, 1, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: MSELoss()(x, target, w, avg_factor=2.), (pred,))
