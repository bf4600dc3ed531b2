import math

import pytest
import torch

from detkit.models.losses import VarifocalLoss


def test_hand_value():
    pred = torch.zeros(1, 2, dtype=torch.float64)  # p = 0.5
    target = torch.tensor([[0.8, 0.0]], dtype=torch.float64)
    out = VarifocalLoss(reduction='none')(pred, target)
    pos = -(0.8 * math.log(0.5) + 0.2 * math.log(0.5)) * 0.8
    neg = -math.log(0.5) * 0.75 * 0.5 ** 2
    assert out[0].tolist() == pytest.approx([pos, neg])
    out = VarifocalLoss(iou_weighted=False, reduction='none')(pred, target)
    assert out[0, 0].item() == pytest.approx(pos / 0.8)


def test_errors_and_gradcheck():
    with pytest.raises(ValueError, match='alpha must be >= 0'):
        VarifocalLoss(alpha=-1)
    with pytest.raises(ValueError, match='same shape'):
        VarifocalLoss()(torch.zeros(2, 3), torch.zeros(2, 2))
    pred = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    target = torch.tensor([[0.7, 0.], [0., 0.], [0., 0.2]], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: VarifocalLoss()(x, target), (pred,))
