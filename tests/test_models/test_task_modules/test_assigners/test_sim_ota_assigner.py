import math

import pytest
import torch
from _assigner_reference import iou_matrix

from detkit.models.task_modules import build_assigner


def _reference_simota(scores, priors, boxes, gts, labels, r=2.5, topk=10, wi=3.0, wc=1.0):
    """YOLOX's SimOTA with loops over priors and gts, float64."""
    P, G = priors.tolist(), gts.tolist()
    n, g = len(P), len(G)
    in_gt = [[min(p[0] - b[0], p[1] - b[1], b[2] - p[0], b[3] - p[1]) > 0 for b in G] for p in P]
    in_ct = []
    for p in P:
        row = []
        for b in G:
            cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
            row.append(min(p[0] - (cx - r * p[2]), p[1] - (cy - r * p[3]),
                           cx + r * p[2] - p[0], cy + r * p[3] - p[1]) > 0)
        in_ct.append(row)
    valid = [j for j in range(n) if any(in_gt[j]) or any(in_ct[j])]
    ious = iou_matrix([boxes[j].tolist() for j in valid], G)
    cost = []
    for vi, j in enumerate(valid):
        row = []
        for i in range(g):
            cls = 0.0
            for c in range(scores.size(1)):
                p = math.sqrt(scores[j, c].item())
                y = 1.0 if c == labels[i] else 0.0
                cls -= y * max(math.log(p), -100) + (1 - y) * max(math.log(1 - p), -100)
            c = wc * cls + wi * -math.log(ious[vi][i] + 1e-7)
            if not (in_gt[j][i] and in_ct[j][i]):
                c += 100000.0
            row.append(c)
        cost.append(row)
    match = [[0] * g for _ in valid]
    for i in range(g):
        col = sorted((ious[v][i] for v in range(len(valid))), reverse=True)
        k = max(1, int(sum(col[:min(topk, len(valid))])))
        for v in sorted(range(len(valid)), key=lambda v: cost[v][i])[:k]:
            match[v][i] = 1
    inds = [0] * n
    for v, j in enumerate(valid):
        if sum(match[v]) > 1:
            best = min(range(g), key=lambda i: cost[v][i])
            match[v] = [1 if i == best else 0 for i in range(g)]
        if sum(match[v]) == 1:
            inds[j] = match[v].index(1) + 1
    return inds


def _scene(seed=0):
    g = torch.Generator().manual_seed(seed)
    ys, xs = torch.meshgrid(torch.arange(8.), torch.arange(8.), indexing='ij')
    priors = torch.stack([(xs.reshape(-1) + 0.5) * 8, (ys.reshape(-1) + 0.5) * 8,
                          torch.full((64,), 8.), torch.full((64,), 8.)], 1).double()
    gts = torch.tensor([[4., 4., 30., 28.], [20., 16., 60., 50.], [40., 40., 62., 63.]],
                       dtype=torch.float64)
    jitter = torch.randn(64, 4, generator=g, dtype=torch.float64) * 3
    boxes = torch.cat([priors[:, :2] - 10, priors[:, :2] + 10], 1) + jitter
    scores = torch.rand(64, 4, generator=g, dtype=torch.float64) * 0.9 + 0.05
    labels = torch.tensor([0, 2, 1])
    return scores, priors, boxes, gts, labels


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_matches_brute_force_dynamic_k(seed):
    scores, priors, boxes, gts, labels = _scene(seed)
    a = build_assigner(dict(type='SimOTAAssigner', center_radius=2.5, candidate_topk=10,
                            iou_weight=3.0, cls_weight=1.0))
    res = a.assign(scores, priors, boxes, gts, labels)
    want = _reference_simota(scores, priors, boxes, gts, labels.tolist())
    assert res.gt_inds.tolist() == want
    assert {k for k in want if k > 0} == {1, 2, 3} and sum(k > 0 for k in want) > 3
    assert res.labels.tolist() == [labels[k - 1].item() if k > 0 else -1 for k in want]
    pos = res.gt_inds > 0
    ious = iou_matrix(boxes[pos].tolist(), gts.tolist())
    expect = [ious[r][k - 1] for r, k in enumerate(res.gt_inds[pos].tolist())]
    assert res.max_overlaps[pos].tolist() == pytest.approx(expect, abs=1e-5)
    assert (res.max_overlaps[~pos] == -100000.0).all()


def test_empty():
    scores, priors, boxes, _, _ = _scene()
    a = build_assigner(dict(type='SimOTAAssigner'))
    res = a.assign(scores, priors, boxes, torch.zeros(0, 4, dtype=torch.float64),
                   torch.zeros(0, dtype=torch.long))
    assert (res.gt_inds == 0).all() and (res.labels == -1).all()
    # a gt far from every prior: no valid candidate
    far = torch.tensor([[500., 500., 510., 510.]], dtype=torch.float64)
    res = a.assign(scores, priors, boxes, far, torch.tensor([0]))
    assert (res.gt_inds == 0).all()


def test_cls_cost_equals_expanded_bce():
    from detkit.models.task_modules.assigners import SimOTAAssigner
    scores = torch.tensor([[0.0, 0.3, 1.0], [0.9, 0.05, 0.5]])  # 0 and 1 hit the log clamp
    labels = torch.tensor([2, 0, 1, 2])
    onehot = torch.nn.functional.one_hot(labels, 3).float()
    q = scores.sqrt()[:, None, :].expand(2, 4, 3)
    want = torch.nn.functional.binary_cross_entropy(
        q, onehot[None].expand(2, 4, 3), reduction='none').sum(-1)
    assert torch.allclose(SimOTAAssigner._cls_cost(scores, labels), want, atol=1e-4)
