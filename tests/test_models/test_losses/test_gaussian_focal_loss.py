import math

import pytest
import torch

from detkit.models.losses import GaussianFocalLoss


def test_hand_value():
    pred = torch.tensor([0.8, 0.3], dtype=torch.float64)
    target = torch.tensor([1.0, 0.5], dtype=torch.float64)
    out = GaussianFocalLoss(reduction='none')(pred, target)
    pos = -math.log(0.8) * 0.2 ** 2
    neg = -math.log(0.7) * 0.3 ** 2 * 0.5 ** 4
    assert out.tolist() == pytest.approx([pos, neg], rel=1e-9)


def test_gradcheck():
    pred = torch.tensor([0.6, 0.2, 0.9], dtype=torch.float64, requires_grad=True)
    target = torch.tensor([1.0, 0.3, 0.0], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: GaussianFocalLoss()(x, target), (pred,))
