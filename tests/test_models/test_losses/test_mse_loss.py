import pytest
import torch

from detkit.models.losses import MSELoss


def test_values():
    pred = torch.tensor([1.0, 2.0, 4.0])
    target = torch.tensor([0.0, 0.0, 1.0])
    assert MSELoss()(pred, target).item() == pytest.approx((1 + 4 + 9) / 3)
    w = torch.tensor([1.0, 0.0, 1.0])
    assert MSELoss(loss_weight=2.)(pred, target, w, avg_factor=2).item() == pytest.approx(10.0)
