import pytest
import torch

from detkit.models.losses import L1Loss, SmoothL1Loss


def test_smooth_l1_hand_values():
    pred = torch.tensor([[0.0, 0.5, 2.0, -3.0]])
    target = torch.zeros(1, 4)
    loss = SmoothL1Loss(beta=1.0, reduction='none')(pred, target)
    # |d| < 1: 0.5 d^2 ; else |d| - 0.5
    assert torch.allclose(loss, torch.tensor([[0.0, 0.125, 1.5, 2.5]]))
    loss = SmoothL1Loss(beta=0.5, reduction='sum')(pred, target)
    assert loss.item() == pytest.approx(0 + 0.25 + 1.75 + 2.75)


def test_matches_torch_and_weights():
    torch.manual_seed(0)
    pred, target = torch.randn(5, 4), torch.randn(5, 4)
    ref = torch.nn.functional.smooth_l1_loss(pred, target, beta=0.11)
    assert torch.allclose(SmoothL1Loss(beta=0.11)(pred, target), ref)
    w = torch.zeros(5, 4)
    w[1] = 1
    out = L1Loss()(pred, target, w, avg_factor=4)
    assert torch.allclose(out, (pred[1] - target[1]).abs().sum() / 4, atol=1e-6)


def test_empty_target_keeps_graph():
    pred = torch.zeros(0, 4, requires_grad=True)
    out = SmoothL1Loss()(pred, torch.zeros(0, 4), reduction_override='sum')
    out.backward()
    assert out.item() == 0


def test_errors():
    with pytest.raises(ValueError, match='beta must be > 0'):
        SmoothL1Loss(beta=0)(torch.ones(2, 4), torch.ones(2, 4))
    with pytest.raises(ValueError, match=r'pred \(2, 4\) and target \(3, 4\)'):
        L1Loss()(torch.ones(2, 4), torch.ones(3, 4))
    with pytest.raises(ValueError, match='weight of shape'):
        SmoothL1Loss()(torch.ones(2, 4), torch.ones(2, 4), torch.ones(3))


def test_gradcheck():
    pred = torch.tensor([[0.3, -2.0, 0.05, 1.7]], dtype=torch.float64, requires_grad=True)
    target = torch.zeros(1, 4, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: SmoothL1Loss(beta=0.5)(x, target), (pred,))
