import math

import pytest
import torch
from torchvision.ops import complete_box_iou_loss, distance_box_iou_loss, generalized_box_iou_loss

from detkit.models.losses import BoundedIoULoss, CIoULoss, DIoULoss, GIoULoss, IoULoss

PRED = torch.tensor([[0., 0., 10., 10.], [2., 2., 6., 8.], [0., 0., 4., 4.]], dtype=torch.float64)
TARGET = torch.tensor([[1., 1., 11., 11.], [3., 1., 7., 9.], [6., 6., 8., 9.]],
                      dtype=torch.float64)


def test_iou_loss_modes_hand_values():
    # box 0: overlap 81, union 119
    iou = 81 / 119
    p, t = PRED[:1], TARGET[:1]
    assert IoULoss(mode='linear')(p, t).item() == pytest.approx(1 - iou)
    assert IoULoss(mode='square')(p, t).item() == pytest.approx(1 - iou ** 2)
    assert IoULoss()(p, t).item() == pytest.approx(-math.log(iou))
    with pytest.warns(DeprecationWarning):
        assert IoULoss(linear=True).mode == 'linear'
    with pytest.raises(ValueError, match='mode must be one of'):
        IoULoss(mode='cube')


def test_giou_diou_match_torchvision():
    for ours, ref in ((GIoULoss, generalized_box_iou_loss), (DIoULoss, distance_box_iou_loss)):
        out = ours(eps=1e-7, reduction='none')(PRED, TARGET)
        assert torch.allclose(out, ref(PRED, TARGET, eps=1e-7), atol=1e-6), ours.__name__


def test_ciou_matches_torchvision_where_iou_above_half():
    # MMDetection gates the aspect term with IoU > 0.5; torchvision does not. Where
    # IoU > 0.5 they agree; elsewhere CIoU equals DIoU.
    out = CIoULoss(eps=1e-7, reduction='none')(PRED, TARGET)
    ref = complete_box_iou_loss(PRED, TARGET, eps=1e-7)
    assert torch.allclose(out[0], ref[0], atol=1e-6)
    diou = distance_box_iou_loss(PRED, TARGET, eps=1e-7)
    assert torch.allclose(out[1:], diou[1:], atol=1e-6)


def test_bounded_iou_hand_value():
    pred = torch.tensor([[0., 0., 10., 10.]], dtype=torch.float64)
    target = torch.tensor([[2., 0., 12., 10.]], dtype=torch.float64)
    out = BoundedIoULoss(beta=0.2, eps=0.0, reduction='none')(pred, target)
    # dx = 2: 1 - (10 - 4) / (10 + 4) = 4/7 -> above beta: 4/7 - 0.1; others 0
    assert out[0].tolist() == pytest.approx([4 / 7 - 0.1, 0.0, 0.0, 0.0])


def test_weights_zero_and_box_weights():
    pred = PRED.clone().requires_grad_(True)
    out = GIoULoss()(pred, TARGET, torch.zeros(3))
    out.backward()
    assert out.item() == 0 and pred.grad is not None
    w4 = torch.tensor([[1.] * 4, [0.] * 4, [1.] * 4], dtype=torch.float64)
    a = GIoULoss(reduction='sum')(PRED, TARGET, w4)
    b = GIoULoss(reduction='sum')(PRED, TARGET, torch.tensor([1., 0, 1], dtype=torch.float64))
    assert torch.allclose(a, b)
    with pytest.raises(ValueError, match='2-D weight'):
        GIoULoss()(PRED, TARGET, torch.ones(3, 2))


@pytest.mark.parametrize('cls', [IoULoss, GIoULoss, DIoULoss, BoundedIoULoss])
def test_gradcheck(cls):
    pred = (PRED + 0.3).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: cls()(x, TARGET), (pred,))


def test_ciou_gradients():
    # alpha is a constant (no_grad) by definition, so finite differences only agree
    # where alpha = 0 (IoU <= 0.5); where IoU > 0.5 compare with torchvision, which
    # treats alpha the same way
    low = (PRED[2:] + 0.3).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: CIoULoss()(x, TARGET[2:]), (low,))
    a = PRED[:1].clone().requires_grad_(True)
    b = PRED[:1].clone().requires_grad_(True)
    CIoULoss(eps=1e-7)(a, TARGET[:1]).backward()
    complete_box_iou_loss(b, TARGET[:1], reduction='mean', eps=1e-7).backward()
    assert torch.allclose(a.grad, b.grad, atol=1e-6)
