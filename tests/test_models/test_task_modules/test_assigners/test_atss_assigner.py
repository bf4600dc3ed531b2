import math

import pytest
import torch
from _assigner_reference import iou_matrix, random_boxes

from detkit.models.task_modules import build_assigner
from detkit.models.task_modules.prior_generators import AnchorGenerator


def _reference_atss(anchors, num_level, gts, topk, ignore=None, ignore_thr=-1):
    A, G = anchors.tolist(), gts.tolist()
    n, g = len(A), len(G)
    ov = iou_matrix(A, G)
    ctr = [((a[0] + a[2]) / 2, (a[1] + a[3]) / 2) for a in A]
    gctr = [((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in G]
    dist = [[math.dist(ctr[j], gctr[i]) for i in range(g)] for j in range(n)]
    inds = [0] * n
    if ignore is not None and ignore_thr > 0:
        for j in range(n):
            if max(iou_matrix([A[j]], ignore.tolist(), 'iof')[0]) > ignore_thr:
                inds[j] = -1
                dist[j] = [1e8] * g
    best = [(-1e8, -1)] * n
    for i in range(g):
        cands, start = [], 0
        for num in num_level:
            level = sorted(range(start, start + num), key=lambda j: (dist[j][i], j))
            cands += level[:min(topk, num)]
            start += num
        vals = torch.tensor([ov[j][i] for j in cands], dtype=torch.float64)
        thr = (vals.mean() + vals.std()).item()
        for j in cands:
            cx, cy = ctr[j]
            b = G[i]
            inside = min(cx - b[0], cy - b[1], b[2] - cx, b[3] - cy) > 0.01
            if ov[j][i] >= thr and inside and ov[j][i] > best[j][0]:
                best[j] = (ov[j][i], i)
    for j in range(n):
        if best[j][1] >= 0:
            inds[j] = best[j][1] + 1
    return inds


def _anchors():
    gen = AnchorGenerator(strides=[8, 16], ratios=[1.0], octave_base_scale=3,
                          scales_per_octave=1)
    levels = gen.grid_priors([(8, 8), (4, 4)], dtype=torch.float64, device='cpu')
    return torch.cat(levels), [lv.size(0) for lv in levels]


@pytest.mark.parametrize('topk', [3, 9])
def test_matches_brute_force_per_level_topk(topk):
    anchors, num_level = _anchors()
    gts = torch.tensor([[5., 6., 40., 30.], [30., 20., 60., 62.], [0., 0., 20., 20.],
                        [22., 22., 30., 30.]], dtype=torch.float64)
    labels = torch.tensor([0, 1, 2, 3])
    a = build_assigner(dict(type='ATSSAssigner', topk=topk))
    res = a.assign(anchors, num_level, gts, gt_labels=labels)
    want = _reference_atss(anchors, num_level, gts, topk)
    assert res.gt_inds.tolist() == want
    assert len({k for k in want if k > 0}) >= 3  # a real test: most gts get positives
    assert res.labels.tolist() == [k - 1 if k > 0 else -1 for k in want]


def test_ignore_regions():
    anchors, num_level = _anchors()
    gts = random_boxes(3, size=40, seed=4, min_wh=10)
    ignore = torch.tensor([[0., 0., 30., 30.]], dtype=torch.float64)
    a = build_assigner(dict(type='ATSSAssigner', topk=5, ignore_iof_thr=0.5))
    res = a.assign(anchors, num_level, gts, gt_bboxes_ignore=ignore)
    assert res.gt_inds.tolist() == _reference_atss(anchors, num_level, gts, 5, ignore, 0.5)
    assert (res.gt_inds == -1).any()


def test_alpha_variant_uses_cost():
    anchors, num_level = _anchors()
    gts = torch.tensor([[5., 6., 40., 30.]], dtype=torch.float64)
    scores = torch.zeros(anchors.size(0), 2, dtype=torch.float64)
    a = build_assigner(dict(type='ATSSAssigner', topk=9, alpha=1.0))
    # alpha = 1: the cost is the IoU of the predicted boxes; predictions = anchors
    res = a.assign(anchors, num_level, gts, gt_labels=torch.tensor([1]), cls_scores=scores,
                   bbox_preds=anchors)
    plain = build_assigner(dict(type='ATSSAssigner', topk=9)).assign(anchors, num_level, gts)
    assert torch.equal(res.gt_inds, plain.gt_inds)
    with pytest.raises(ValueError, match='needs cls_scores and bbox_preds'):
        a.assign(anchors, num_level, gts)


def test_empty():
    anchors, num_level = _anchors()
    a = build_assigner(dict(type='ATSSAssigner', topk=9))
    res = a.assign(anchors, num_level, torch.zeros(0, 4, dtype=torch.float64),
                   gt_labels=torch.zeros(0, dtype=torch.long))
    assert (res.gt_inds == 0).all() and (res.labels == -1).all()
    res = a.assign(torch.zeros(0, 4), [0, 0], torch.tensor([[0., 0., 5., 5.]]))
    assert res.gt_inds.numel() == 0
