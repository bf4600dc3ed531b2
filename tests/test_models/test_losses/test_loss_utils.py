"""weight_reduce_loss / weighted_loss / reduction_override: the seed's chapter 12 rules."""
import pytest
import torch

from detkit.models.losses import L1Loss, reduce_loss, weight_reduce_loss, weighted_loss
from detkit.registry import LOSSES


@weighted_loss
def _abs_loss(pred, target):
    return (pred - target).abs()


def test_weighted_loss_docstring_values():
    pred = torch.tensor([0., 2, 3])
    target = torch.tensor([1., 1, 1])
    weight = torch.tensor([1., 0, 1])
    assert _abs_loss(pred, target).item() == pytest.approx(4 / 3)
    assert _abs_loss(pred, target, weight).item() == pytest.approx(1.0)
    assert torch.equal(_abs_loss(pred, target, reduction='none'), torch.tensor([1., 1, 2]))
    assert _abs_loss(pred, target, weight, avg_factor=2).item() == pytest.approx(1.5)
    assert _abs_loss(pred, target, reduction='sum').item() == pytest.approx(4.0)
    # 'none' with avg_factor keeps the weighted element-wise loss
    assert torch.equal(_abs_loss(pred, target, weight, reduction='none', avg_factor=2),
                       torch.tensor([1., 0, 2]))


def test_avg_factor_with_sum_raises():
    with pytest.raises(ValueError, match='avg_factor can not be used with reduction="sum"'):
        weight_reduce_loss(torch.ones(3), reduction='sum', avg_factor=2)


def test_avg_factor_zero_is_finite():
    out = weight_reduce_loss(torch.zeros(3), avg_factor=0)
    assert torch.isfinite(out) and out.item() == 0


def test_unknown_reduction_names_accepted_values():
    with pytest.raises(ValueError, match=r"one of \('none', 'mean', 'sum'\).*'avg'"):
        reduce_loss(torch.ones(2), 'avg')
    with pytest.raises(ValueError, match="did you mean 'mean'"):
        L1Loss(reduction='meen')
    loss = L1Loss()
    with pytest.raises(ValueError, match='reduction_override'):
        loss(torch.ones(2), torch.zeros(2), reduction_override='max')


def test_weight_of_wrong_shape_raises():
    with pytest.raises(ValueError, match=r'weight of shape \(3,\).*loss of shape \(4, 2\)'):
        weight_reduce_loss(torch.ones(4, 2), torch.ones(3))
    # a weight that would broadcast the loss *up* is also refused
    with pytest.raises(ValueError, match=r'\(4, 1\)'):
        weight_reduce_loss(torch.ones(4), torch.ones(4, 1))
    # a (N, 1) weight for a (N, C) loss is fine
    out = weight_reduce_loss(torch.ones(4, 2), torch.tensor([[1.], [0], [1], [0]]), 'sum')
    assert out.item() == 4


def test_reduction_override_and_loss_weight():
    loss = LOSSES.build(dict(type='L1Loss', loss_weight=2.0))
    pred, target = torch.tensor([1., 3.]), torch.tensor([0., 0.])
    assert loss(pred, target).item() == pytest.approx(4.0)  # 2 * mean(1, 3)
    assert loss(pred, target, reduction_override='sum').item() == pytest.approx(8.0)
    assert torch.equal(loss(pred, target, reduction_override='none'), torch.tensor([2., 6.]))
    assert loss(pred, target, avg_factor=4).item() == pytest.approx(2.0, rel=1e-6)


@pytest.mark.parametrize('name', ['IoULoss', 'GIoULoss', 'DIoULoss', 'CIoULoss', 'BoundedIoULoss',
                                  'MSELoss', 'L1Loss', 'SmoothL1Loss', 'BalancedL1Loss'])
def test_empty_inputs_give_zero_with_graph(name):
    loss = LOSSES.build(dict(type=name))
    pred = torch.zeros(0, 4, requires_grad=True)
    target, weight = torch.zeros(0, 4), torch.zeros(0, 4)
    for out in (loss(pred, target), loss(pred, target, weight), loss(pred, target, avg_factor=3)):
        assert out.item() == 0
    out.backward()
    assert pred.grad is not None and pred.grad.shape == (0, 4)


def test_empty_classification_losses():
    for cfg in (dict(type='FocalLoss'), dict(type='CrossEntropyLoss'),
                dict(type='CrossEntropyLoss', use_sigmoid=True)):
        out = LOSSES.build(cfg)(torch.zeros(0, 5), torch.zeros(0, dtype=torch.long))
        assert out.item() == 0, cfg
