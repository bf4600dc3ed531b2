import math

import pytest
import torch
import torch.nn.functional as F

from detkit.models.losses import CrossEntropyLoss, binary_cross_entropy, mask_cross_entropy


def test_softmax_ce_hand_value():
    # logits (0, ln 3): softmax = (1/4, 3/4); label 1 -> -ln(3/4)
    loss = CrossEntropyLoss()
    pred = torch.tensor([[0., math.log(3)]])
    assert loss(pred, torch.tensor([1])).item() == pytest.approx(-math.log(0.75), rel=1e-6)


def test_class_weight_and_ignore_index():
    pred = torch.tensor([[0., math.log(3)], [math.log(3), 0.], [1., 2.]])
    label = torch.tensor([1, 1, -1])
    loss = CrossEntropyLoss(class_weight=[1.0, 2.0], ignore_index=-1, avg_non_ignore=True)
    # two valid samples: -ln(3/4) * 2 and -ln(1/4) * 2, averaged over the 2 valid ones
    expected = (2 * -math.log(0.75) + 2 * -math.log(0.25)) / 2
    assert loss(pred, label).item() == pytest.approx(expected, rel=1e-6)
    with pytest.warns(UserWarning, match='avg_non_ignore'):
        plain = CrossEntropyLoss(ignore_index=-1)
    # without avg_non_ignore the ignored sample still counts in the mean
    expected = (-math.log(0.75) - math.log(0.25)) / 3
    assert plain(pred, label).item() == pytest.approx(expected, rel=1e-6)


def test_sigmoid_ce_expands_labels_to_one_hot():
    pred = torch.tensor([[0.5, -1.0, 2.0], [0.1, 0.2, 0.3]], dtype=torch.float64)
    label = torch.tensor([2, 3])  # 3 = background: all-zero targets
    loss = CrossEntropyLoss(use_sigmoid=True, reduction='sum')
    target = torch.tensor([[0., 0, 1], [0, 0, 0]], dtype=torch.float64)
    p = torch.sigmoid(pred)
    expected = -(target * p.log() + (1 - target) * (1 - p).log()).sum()
    assert loss(pred, label).item() == pytest.approx(expected.item(), rel=1e-9)
    # sample weights expand over classes
    w = torch.tensor([1.0, 0.0], dtype=torch.float64)
    expected_w = -(target * p.log() + (1 - target) * (1 - p).log())[0].sum()
    assert loss(pred, label, w).item() == pytest.approx(expected_w.item(), rel=1e-6)


def test_binary_ce_same_shape_ignore():
    pred = torch.tensor([0.0, 1.0, -1.0])
    label = torch.tensor([1.0, 0.0, 255.0])
    out = binary_cross_entropy(pred, label, ignore_index=255, reduction='none')
    assert out[2].item() == 0
    assert out[0].item() == pytest.approx(math.log(2), rel=1e-6)


def test_mask_ce_selects_class_channel():
    torch.manual_seed(0)
    pred = torch.randn(2, 3, 4, 4)
    target = (torch.rand(2, 4, 4) > 0.5).float()
    label = torch.tensor([2, 0])
    out = mask_cross_entropy(pred, target, label)
    ref = F.binary_cross_entropy_with_logits(torch.stack([pred[0, 2], pred[1, 0]]), target)
    assert out.shape == (1,) and torch.allclose(out[0], ref)
    assert torch.allclose(CrossEntropyLoss(use_mask=True)(pred, target, label), out)


def test_bad_arguments():
    with pytest.raises(ValueError, match='use_sigmoid and use_mask'):
        CrossEntropyLoss(use_sigmoid=True, use_mask=True)
    with pytest.raises(ValueError, match='avg_factor can not be used'):
        CrossEntropyLoss(reduction='sum')(torch.randn(2, 3), torch.tensor([0, 1]), avg_factor=2)


def test_gradcheck():
    pred = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    label = torch.tensor([0, 3, 4])
    w = torch.tensor([1.0, 0.5, 2.0], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: CrossEntropyLoss()(x, label[:3].clamp(max=3), w),
                                    (pred,))
    assert torch.autograd.gradcheck(
        lambda x: CrossEntropyLoss(use_sigmoid=True)(x, label, avg_factor=2.0), (pred,))
