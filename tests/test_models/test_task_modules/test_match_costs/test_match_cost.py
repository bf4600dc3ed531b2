import math

import pytest
import torch

from detkit.models.task_modules import build_match_cost


def test_bbox_l1_cost_formats():
    pred = torch.tensor([[0.5, 0.5, 0.2, 0.4]])  # cx, cy, w, h
    gt = torch.tensor([[0.4, 0.3, 0.6, 0.7], [0.0, 0.0, 0.1, 0.1]])
    xyxy = build_match_cost(dict(type='BBoxL1Cost', weight=2.))(pred, gt)
    # pred in xyxy: (0.4, 0.3, 0.6, 0.7)
    assert xyxy[0].tolist() == pytest.approx([0.0, 2 * (0.4 + 0.3 + 0.5 + 0.6)])
    xywh = build_match_cost(dict(type='BBoxL1Cost', box_format='xywh'))(pred, gt)
    assert xywh[0, 0].item() == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match='box_format'):
        build_match_cost(dict(type='BBoxL1Cost', box_format='cxcy'))


def test_focal_and_classification_costs():
    logits = torch.tensor([[0.0, 2.0]])
    labels = torch.tensor([1, 0])
    p = torch.sigmoid(torch.tensor([0.0, 2.0]))
    focal = build_match_cost(dict(type='FocalLossCost'))(logits, labels)
    for k, c in enumerate([1, 0]):
        pc = p[c].item()
        pos = -math.log(pc + 1e-12) * 0.25 * (1 - pc) ** 2
        neg = -math.log(1 - pc + 1e-12) * 0.75 * pc ** 2
        assert focal[0, k].item() == pytest.approx(pos - neg, rel=1e-5)
    cls = build_match_cost(dict(type='ClassificationCost', weight=1.))(logits, labels)
    sm = torch.softmax(logits[0], 0)
    assert cls[0].tolist() == pytest.approx([-sm[1].item(), -sm[0].item()])
    # mask form: averaged over pixels
    masks = torch.tensor([[[1., 0.], [0., 1.]]])
    mlog = torch.zeros(2, 2, 2)
    mc = build_match_cost(dict(type='FocalLossCost', binary_input=True))(mlog, masks)
    pos = -math.log(0.5) * 0.25 * 0.25
    neg = -math.log(0.5) * 0.75 * 0.25
    assert mc.shape == (2, 1) and mc[0, 0].item() == pytest.approx((2 * pos + 2 * neg) / 4)


def test_iou_dice_ce_costs():
    b = torch.tensor([[0., 0., 10., 10.]])
    g = torch.tensor([[0., 0., 10., 20.]])
    assert build_match_cost(dict(type='IoUCost', iou_mode='iou'))(b, g).item() == \
        pytest.approx(-0.5)
    pred = torch.tensor([[[1., 0.], [1., 0.]]])
    gt = torch.tensor([[[1., 0.], [0., 0.]]])
    dice = build_match_cost(dict(type='DiceCost', eps=0.))(pred, gt)
    assert dice.item() == pytest.approx(1 - 2 * 1 / 3)
    ce = build_match_cost(dict(type='CrossEntropyLossCost'))(torch.zeros(1, 2, 2), gt)
    assert ce.item() == pytest.approx(math.log(2), rel=1e-6)
