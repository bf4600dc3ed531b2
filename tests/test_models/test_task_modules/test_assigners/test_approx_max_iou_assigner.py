import torch
from _assigner_reference import iou, random_boxes

from detkit.models.task_modules import build_assigner


def test_square_overlap_is_best_approx():
    squares = random_boxes(10, seed=31)
    # 3 approximations per square: the square and two shifted copies
    approxs = torch.stack([squares, squares + 3.0, squares - 5.0], dim=1).reshape(-1, 4)
    gts = torch.cat([squares[[1, 4]] + 4.0, random_boxes(1, seed=32)])
    cfg = dict(pos_iou_thr=0.5, neg_iou_thr=0.3, min_pos_iou=0.0)
    res = build_assigner(dict(type='ApproxMaxIoUAssigner', **cfg)).assign(
        approxs, squares, 3, gts)
    # brute force: a square's IoU with a gt is the best of its approximations, then
    # MaxIoU's steps (negatives, positives, low-quality matches)
    A, G = approxs.view(10, 3, 4).tolist(), gts.tolist()
    ov = [[max(iou(a, g) for a in A[s]) for s in range(10)] for g in G]
    want = []
    for s in range(10):
        m = max(ov[i][s] for i in range(3))
        k = -1
        if 0 <= m < 0.3:
            k = 0
        if m >= 0.5:
            k = max(range(3), key=lambda i: (ov[i][s], -i)) + 1
        want.append(k)
    for i in range(3):
        for s in range(10):
            if ov[i][s] == max(ov[i]):
                want[s] = i + 1
    assert res.gt_inds.tolist() == want
    assert (res.gt_inds > 0).sum() >= 2


def test_empty():
    a = build_assigner(dict(type='ApproxMaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.3))
    res = a.assign(torch.zeros(0, 4), torch.zeros(0, 4), 3, torch.tensor([[0., 0., 1., 1.]]))
    assert res.gt_inds.numel() == 0
