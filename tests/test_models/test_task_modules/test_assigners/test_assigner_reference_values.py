"""The assignments MMDetection 2.x's own assigner tests expect (the behaviour we match)."""
import torch

from detkit.models.task_modules.assigners import (
    ApproxMaxIoUAssigner,
    CenterRegionAssigner,
    MaxIoUAssigner,
    PointAssigner,
    UniformAssigner,
)

BBOXES = torch.tensor([[0., 0., 10., 10.], [10., 10., 20., 20.], [5., 5., 15., 15.],
                       [32., 32., 38., 42.]])
GTS = torch.tensor([[0., 0., 10., 9.], [0., 10., 10., 19.]])


def test_max_iou_and_approx():
    a = MaxIoUAssigner(pos_iou_thr=0.5, neg_iou_thr=0.5)
    res = a.assign(BBOXES, GTS, gt_labels=torch.tensor([2, 3]))
    assert res.gt_inds.tolist() == [1, 0, 2, 0] and res.labels.tolist() == [2, -1, 3, -1]
    a = MaxIoUAssigner(pos_iou_thr=0.5, neg_iou_thr=0.5, ignore_iof_thr=0.5,
                       ignore_wrt_candidates=False)
    boxes = BBOXES.clone()
    boxes[3] = torch.tensor([30., 32., 40., 42.])
    res = a.assign(boxes, GTS, gt_bboxes_ignore=torch.tensor([[30., 30., 40., 40.]]))
    assert res.gt_inds.tolist() == [1, 0, 2, -1]
    res = ApproxMaxIoUAssigner(pos_iou_thr=0.5, neg_iou_thr=0.5).assign(BBOXES, BBOXES, 1, GTS)
    assert res.gt_inds.tolist() == [1, 0, 2, 0]


def test_point_assigner():
    points = torch.tensor([[0., 0., 1.], [10., 10., 1.], [5., 5., 1.], [32., 32., 1.]])
    assert PointAssigner().assign(points, GTS).gt_inds.tolist() == [1, 2, 1, 0]
    # MMDetection's tests pass an empty 1-D tensor for "no gts" and "no points"
    assert PointAssigner().assign(points, torch.tensor([])).gt_inds.tolist() == [0] * 4
    assert PointAssigner().assign(torch.tensor([]), torch.tensor([])).gt_inds.numel() == 0


def test_center_region_assigner():
    a = CenterRegionAssigner(pos_scale=0.3, neg_scale=1)
    bboxes = torch.tensor([[0., 0., 10., 10.], [10., 10., 20., 20.], [8., 8., 9., 9.]])
    gts = torch.tensor([[0., 0., 11., 11.], [10., 10., 20., 20.], [4.5, 4.5, 5.5, 5.5],
                        [0., 0., 10., 10.]])
    res = a.assign(bboxes, gts, gt_labels=torch.tensor([2, 3, 4, 5]))
    assert res.gt_inds.tolist() == [4, 2, 0]
    shadowed = {tuple(p) for p in res.get_extra_property('shadowed_labels').tolist()}
    assert {(2, 2), (2, 5), (0, 2)} <= shadowed
    a = CenterRegionAssigner(pos_scale=0.5, neg_scale=1)
    res = a.assign(bboxes[:2], gts[[3, 1]], gt_bboxes_ignore=gts[3:],
                   gt_labels=torch.tensor([1, 2]))
    assert res.gt_inds.tolist() == [-1, 2]


def test_uniform_assigner():
    pred = torch.tensor([[1., 1., 12., 8.], [4., 4., 20., 20.], [1., 5., 15., 15.],
                         [30., 5., 32., 42.]])
    res = UniformAssigner(0.15, 0.7, 1).assign(pred, BBOXES, GTS, gt_labels=torch.tensor([2, 3]))
    assert res.gt_inds.tolist() == [-1, 0, 2, 0]
