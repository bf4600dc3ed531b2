"""Every assigner handles zero ground truths (all negative) and zero priors (empty)."""
import pytest
import torch

from detkit.models.task_modules import build_assigner


def _boxes(n):
    xy = torch.arange(n, dtype=torch.float32)[:, None] * 4
    return torch.cat([xy, xy, xy + 8, xy + 8], 1)


def _call(name, n, g):
    """Build ``name`` and assign ``g`` gts to ``n`` priors with its own signature."""
    boxes, gts = _boxes(n), _boxes(g) + 1
    labels = torch.zeros(g, dtype=torch.long)
    if name == 'MaxIoUAssigner':
        a = build_assigner(dict(type=name, pos_iou_thr=0.5, neg_iou_thr=0.4))
        return a.assign(boxes, gts, gt_labels=labels)
    if name == 'ApproxMaxIoUAssigner':
        a = build_assigner(dict(type=name, pos_iou_thr=0.5, neg_iou_thr=0.4))
        return a.assign(boxes, boxes, 1, gts, gt_labels=labels)
    if name == 'ATSSAssigner':
        return build_assigner(dict(type=name, topk=9)).assign(boxes, [n], gts, gt_labels=labels)
    if name == 'CenterRegionAssigner':
        a = build_assigner(dict(type=name, pos_scale=0.2, neg_scale=0.5))
        return a.assign(boxes, gts, gt_labels=labels)
    if name == 'PointAssigner':
        pts = torch.cat([boxes[:, :2], torch.full((n, 1), 8.)], 1)
        return build_assigner(dict(type=name)).assign(pts, gts, gt_labels=labels)
    if name == 'GridAssigner':
        a = build_assigner(dict(type=name, pos_iou_thr=0.5, neg_iou_thr=0.4))
        return a.assign(boxes, torch.ones(n, dtype=torch.uint8), gts, gt_labels=labels)
    if name == 'SimOTAAssigner':
        pri = torch.cat([(boxes[:, :2] + boxes[:, 2:]) / 2, torch.full((n, 2), 8.)], 1)
        return build_assigner(dict(type=name)).assign(torch.rand(n, 2), pri, boxes, gts, labels)
    if name == 'TaskAlignedAssigner':
        a = build_assigner(dict(type=name, topk=3))
        return a.assign(torch.rand(n, 2), boxes, boxes, gts, gt_labels=labels)
    if name == 'HungarianAssigner':
        return build_assigner(dict(type=name)).assign(torch.rand(n, 4), torch.rand(n, 2), gts,
                                                      labels, dict(img_shape=(64, 64, 3)))
    if name == 'UniformAssigner':
        a = build_assigner(dict(type=name, pos_ignore_thr=0.15, neg_ignore_thr=0.7))
        return a.assign(boxes, boxes, gts, gt_labels=labels)
    raise AssertionError(name)


NAMES = ['MaxIoUAssigner', 'ApproxMaxIoUAssigner', 'ATSSAssigner', 'CenterRegionAssigner',
         'PointAssigner', 'GridAssigner', 'SimOTAAssigner', 'TaskAlignedAssigner',
         'HungarianAssigner', 'UniformAssigner']


@pytest.mark.parametrize('name', NAMES)
def test_zero_gts_gives_all_negative(name):
    res = _call(name, 6, 0)
    assert res.num_gts == 0 and res.gt_inds.tolist() == [0] * 6
    assert res.labels.tolist() == [-1] * 6


@pytest.mark.parametrize('name', NAMES)
def test_zero_priors_gives_empty(name):
    res = _call(name, 0, 2)
    assert res.num_gts == 2 and res.gt_inds.shape == (0,) and res.num_preds == 0
