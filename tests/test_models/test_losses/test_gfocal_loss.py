import math

import pytest
import torch

from detkit.models.losses import DistributionFocalLoss, QualityFocalLoss


def _qfl_ref(pred, labels, scores, beta=2.0):
    p = pred.sigmoid()
    out = torch.zeros(pred.size(0), dtype=torch.float64)
    for i in range(pred.size(0)):
        for c in range(pred.size(1)):
            y = scores[i].item() if labels[i] == c else 0.0
            bce = -(y * math.log(p[i, c]) + (1 - y) * math.log(1 - p[i, c]))
            out[i] += bce * abs(y - p[i, c].item()) ** beta
    return out


def test_qfl_brute_force():
    torch.manual_seed(0)
    pred = torch.randn(4, 3, dtype=torch.float64)
    labels = torch.tensor([0, 3, 2, 1])
    scores = torch.tensor([0.9, 0.0, 0.3, 0.6], dtype=torch.float64)
    out = QualityFocalLoss(reduction='none')((pred), (labels, scores))
    assert torch.allclose(out, _qfl_ref(pred, labels, scores), atol=1e-9)
    act = QualityFocalLoss(activated=True, reduction='none')(pred.sigmoid(), (labels, scores))
    assert torch.allclose(act, out, atol=1e-9)


def test_dfl_hand_value():
    pred = torch.tensor([[0.0, math.log(3), 0.0]], dtype=torch.float64)  # softmax 1/5, 3/5, 1/5
    out = DistributionFocalLoss()(pred, torch.tensor([0.25], dtype=torch.float64))
    expected = 0.75 * -math.log(0.2) + 0.25 * -math.log(0.6)
    assert out.item() == pytest.approx(expected)


def test_gradcheck():
    pred = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    target = (torch.tensor([0, 2, 1]), torch.tensor([0.5, 0., 0.8], dtype=torch.float64))
    assert torch.autograd.gradcheck(lambda x: QualityFocalLoss()(x, target), (pred,))
    dist = torch.randn(2, 5, dtype=torch.float64, requires_grad=True)
    t = torch.tensor([1.3, 3.9], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: DistributionFocalLoss()(x, t), (dist,))
