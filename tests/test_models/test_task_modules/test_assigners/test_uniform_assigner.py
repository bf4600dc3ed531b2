import torch
from _assigner_reference import iou_matrix, random_boxes

from detkit.models.task_modules import build_assigner


def _l1_cxcywh(a, b):
    ca = [(a[0] + a[2]) / 2, (a[1] + a[3]) / 2, a[2] - a[0], a[3] - a[1]]
    cb = [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, b[2] - b[0], b[3] - b[1]]
    return sum(abs(x - y) for x, y in zip(ca, cb))


def _reference(pred, anchors, gts, pos_thr, neg_thr, k):
    P, A, G = pred.tolist(), anchors.tolist(), gts.tolist()
    n, g = len(P), len(G)
    pred_ov = iou_matrix(P, G)
    anc_ov = iou_matrix(A, G)
    inds = [0] * n
    for j in range(n):
        if max(pred_ov[j]) > neg_thr:
            inds[j] = -1
    order = []  # the listing order: per rank t, predictions then anchors, gts in order
    for t in range(k):
        for i in range(g):
            order.append((sorted(range(n), key=lambda j: _l1_cxcywh(P[j], G[i]))[t], i))
        for i in range(g):
            order.append((sorted(range(n), key=lambda j: _l1_cxcywh(A[j], G[i]))[t], i))
    for j, i in order:
        inds[j] = -1 if anc_ov[j][i] < pos_thr else i + 1
    return inds


def test_matches_brute_force():
    anchors = random_boxes(30, seed=21, min_wh=10)
    pred = anchors + torch.randn(30, 4, generator=torch.Generator().manual_seed(1),
                                 dtype=torch.float64) * 2
    gts = torch.cat([anchors[[1, 7]] + 1.0, random_boxes(1, seed=22)])
    a = build_assigner(dict(type='UniformAssigner', pos_ignore_thr=0.15, neg_ignore_thr=0.7,
                            match_times=2))
    res = a.assign(pred, anchors, gts, gt_labels=torch.tensor([4, 5, 6]))
    assert res.gt_inds.tolist() == _reference(pred, anchors, gts, 0.15, 0.7, 2)
    assert res.get_extra_property('pos_idx').shape == (12,)
    assert res.get_extra_property('target_boxes').shape == (12, 4)
    assert res.max_overlaps.shape == (3,)


def test_empty():
    a = build_assigner(dict(type='UniformAssigner', pos_ignore_thr=0.15, neg_ignore_thr=0.7))
    res = a.assign(random_boxes(4), random_boxes(4), torch.zeros(0, 4, dtype=torch.float64))
    assert res.gt_inds.tolist() == [0] * 4
    assert res.get_extra_property('pos_predicted_boxes').shape == (0, 4)
