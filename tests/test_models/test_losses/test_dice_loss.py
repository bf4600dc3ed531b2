import pytest
import torch

from detkit.models.losses import DiceLoss


def test_hand_values():
    pred = torch.tensor([[0.5, 1.0, 0.0, 0.5]], dtype=torch.float64)
    target = torch.tensor([[1.0, 1.0, 0.0, 0.0]], dtype=torch.float64)
    eps = 1e-3
    vnet = 1 - 2 * 1.5 / ((1.5 + eps) + (2 + eps))
    naive = 1 - (2 * 1.5 + eps) / (2 + 2 + eps)
    assert DiceLoss(activate=False)(pred, target).item() == pytest.approx(vnet)
    assert DiceLoss(activate=False, naive_dice=True)(pred, target).item() == pytest.approx(naive)
    logits = torch.logit(pred.clamp(1e-6, 1 - 1e-6))
    assert DiceLoss()(logits, target).item() == pytest.approx(vnet, rel=1e-4)


def test_weight_and_errors():
    pred = torch.rand(3, 2, 2, dtype=torch.float64)
    target = (torch.rand(3, 2, 2) > 0.5).double()
    per = DiceLoss(activate=False, reduction='none')(pred, target)
    w = torch.tensor([1., 0., 2.], dtype=torch.float64)
    out = DiceLoss(activate=False, reduction='sum')(pred, target, w)
    assert out.item() == pytest.approx((per * w).sum().item())
    with pytest.raises(ValueError, match=r'weight must be \(N,\)'):
        DiceLoss()(pred, target, torch.ones(3, 1))
    with pytest.raises(ValueError, match='use_sigmoid=True'):
        DiceLoss(use_sigmoid=False)


def test_gradcheck():
    pred = torch.randn(2, 5, dtype=torch.float64, requires_grad=True)
    target = torch.tensor([[1., 0, 1, 0, 0], [0, 0, 1, 1, 1]], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: DiceLoss()(x, target), (pred,))
