import torch
from _assigner_reference import random_boxes

from detkit.models.task_modules import build_assigner


def test_square_overlap_is_best_approx():
    squares = random_boxes(10, seed=31)
    # 3 approximations per square: the square and two shifted copies
    approxs = torch.stack([squares, squares + 3.0, squares - 5.0], dim=1).reshape(-1, 4)
    gts = torch.cat([squares[[1, 4]] + 4.0, random_boxes(1, seed=32)])
    cfg = dict(pos_iou_thr=0.5, neg_iou_thr=0.3, min_pos_iou=0.0)
    res = build_assigner(dict(type='ApproxMaxIoUAssigner', **cfg)).assign(
        approxs, squares, 3, gts)
    # the same as MaxIoU on the per-square best IoU
    maxiou = build_assigner(dict(type='MaxIoUAssigner', **cfg))
    from detkit.models.task_modules.iou_calculators import bbox_overlaps
    ov = bbox_overlaps(gts, approxs).view(3, 10, 3).max(dim=2).values
    want = maxiou.assign_wrt_overlaps(ov)
    assert torch.equal(res.gt_inds, want.gt_inds)
    assert (res.gt_inds > 0).sum() >= 2


def test_empty():
    a = build_assigner(dict(type='ApproxMaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.3))
    res = a.assign(torch.zeros(0, 4), torch.zeros(0, 4), 3, torch.tensor([[0., 0., 1., 1.]]))
    assert res.gt_inds.numel() == 0
