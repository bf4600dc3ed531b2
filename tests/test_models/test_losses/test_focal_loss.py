import math

import pytest
import torch
from torchvision.ops import sigmoid_focal_loss as tv_focal

from detkit.models.losses import FocalLoss, py_focal_loss_with_prob, py_sigmoid_focal_loss
from detkit.models.losses import focal_loss as focal_module


def _one_hot(labels, c):
    return torch.nn.functional.one_hot(labels, c + 1)[:, :c].float()


def test_hand_value():
    # logit 0 -> p = 0.5; positive: alpha * (1-p)^2 * ln2; negative: (1-alpha) * p^2 * ln2
    pred = torch.zeros(1, 2)
    loss = FocalLoss(reduction='sum')(pred, torch.tensor([0]))
    expected = 0.25 * 0.25 * math.log(2) + 0.75 * 0.25 * math.log(2)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize('gamma,alpha', [(2.0, 0.25), (1.5, 0.5)])
def test_matches_torchvision(gamma, alpha):
    torch.manual_seed(0)
    pred = torch.randn(6, 4, dtype=torch.float64)
    labels = torch.tensor([0, 4, 2, 3, 4, 1])  # 4 = background
    ours = FocalLoss(gamma=gamma, alpha=alpha, reduction='none')(pred, labels)
    ref = tv_focal(pred, _one_hot(labels, 4).double(), alpha=alpha, gamma=gamma, reduction='none')
    assert torch.allclose(ours, ref, atol=1e-6)
    mean = FocalLoss(gamma=gamma, alpha=alpha)(pred, labels)
    assert mean.item() == pytest.approx(ref.mean().item(), rel=1e-6)


def test_pure_torch_and_fused_paths_agree(monkeypatch):
    torch.manual_seed(1)
    pred = torch.randn(5, 3)
    labels = torch.tensor([0, 1, 2, 3, 1])
    w = torch.tensor([1., 0., 2., 1., 0.5])
    monkeypatch.setattr(focal_module, '_fused_focal_op', lambda device=None: None)
    py = FocalLoss()(pred, labels, w, avg_factor=3)
    monkeypatch.undo()
    ref = py_sigmoid_focal_loss(pred, _one_hot(labels, 3), w, avg_factor=3)
    assert torch.allclose(py, ref)
    assert torch.allclose(FocalLoss()(pred, labels, w, avg_factor=3), ref, atol=1e-6)


def test_activated_and_weights():
    torch.manual_seed(2)
    logits = torch.randn(4, 3, dtype=torch.float64)
    labels = torch.tensor([0, 3, 2, 1])
    a = FocalLoss(activated=True, reduction='none')(logits.sigmoid(), labels)
    b = py_sigmoid_focal_loss(logits, _one_hot(labels, 3).double(), reduction='none')
    assert torch.allclose(a, b, atol=1e-9)
    # (N,) weights scale rows; N*C flat weights reshape to (N, C)
    w = torch.tensor([1., 0, 2, 1], dtype=torch.float64)
    rows = py_focal_loss_with_prob(logits.sigmoid(), labels, w, reduction='none')
    assert torch.allclose(rows, a * w[:, None])
    with pytest.raises(ValueError, match='weight of shape'):
        py_sigmoid_focal_loss(logits, _one_hot(labels, 3).double(), torch.ones(5))


def test_use_sigmoid_false_rejected():
    with pytest.raises(ValueError, match='use_sigmoid=True'):
        FocalLoss(use_sigmoid=False)


def test_gradcheck():
    pred = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    target = _one_hot(torch.tensor([0, 2, 1]), 2).double()
    assert torch.autograd.gradcheck(lambda x: py_sigmoid_focal_loss(x, target), (pred,))


@pytest.mark.skipif(focal_module._fused_focal_op(torch.device('cpu')) is None,
                    reason='the compiled sigmoid_focal_loss op is not built')
def test_fused_path_gradients_match_pure_torch():
    torch.manual_seed(3)
    labels = torch.tensor([0, 2, 3, 1])
    w = torch.tensor([1., 0.5, 2., 0.])
    a = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    b = a.detach().clone().requires_grad_(True)
    FocalLoss(reduction='sum')(a, labels, w).backward()
    py_sigmoid_focal_loss(b, _one_hot(labels, 3).double(), w, reduction='sum').backward()
    assert torch.allclose(a.grad, b.grad, atol=1e-6)
