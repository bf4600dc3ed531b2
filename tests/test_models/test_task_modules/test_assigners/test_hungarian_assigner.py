import itertools

import pytest
import torch

from detkit.models.task_modules import build_assigner, build_match_cost
from detkit.structures import bbox_cxcywh_to_xyxy


def test_matches_exhaustive_search():
    g = torch.Generator().manual_seed(0)
    Q, G = 5, 3
    bbox_pred = torch.rand(Q, 4, generator=g) * 0.5 + 0.25
    cls_pred = torch.randn(Q, 4, generator=g)
    gt_bboxes = bbox_cxcywh_to_xyxy(torch.rand(G, 4, generator=g) * 0.5 + 0.25) * 100
    gt_labels = torch.tensor([0, 3, 1])
    img_meta = dict(img_shape=(100, 100, 3))
    a = build_assigner(dict(type='HungarianAssigner',
                            cls_cost=dict(type='FocalLossCost', weight=2.0),
                            reg_cost=dict(type='BBoxL1Cost', weight=5.0),
                            iou_cost=dict(type='IoUCost', iou_mode='giou', weight=2.0)))
    res = a.assign(bbox_pred, cls_pred, gt_bboxes, gt_labels, img_meta)
    # the cost matrix from the three costs, then every assignment of gts to queries
    cost = (build_match_cost(dict(type='FocalLossCost', weight=2.0))(cls_pred, gt_labels)
            + build_match_cost(dict(type='BBoxL1Cost', weight=5.0))(bbox_pred, gt_bboxes / 100)
            + build_match_cost(dict(type='IoUCost', weight=2.0))(
                bbox_cxcywh_to_xyxy(bbox_pred) * 100, gt_bboxes))
    best = min(itertools.permutations(range(Q), G),
               key=lambda qs: sum(cost[q, i].item() for i, q in enumerate(qs)))
    want = [0] * Q
    for i, q in enumerate(best):
        want[q] = i + 1
    assert res.gt_inds.tolist() == want
    assert res.labels.tolist() == [gt_labels[k - 1].item() if k else -1 for k in want]


def test_empty_and_ignore():
    a = build_assigner(dict(type='HungarianAssigner'))
    res = a.assign(torch.rand(3, 4), torch.randn(3, 2), torch.zeros(0, 4),
                   torch.zeros(0, dtype=torch.long), dict(img_shape=(10, 10, 3)))
    assert res.gt_inds.tolist() == [0, 0, 0] and res.labels.tolist() == [-1] * 3
    with pytest.raises(ValueError, match='gt_bboxes_ignore'):
        a.assign(torch.rand(3, 4), torch.randn(3, 2), torch.zeros(0, 4),
                 torch.zeros(0, dtype=torch.long), dict(img_shape=(10, 10, 3)),
                 gt_bboxes_ignore=torch.zeros(1, 4))
