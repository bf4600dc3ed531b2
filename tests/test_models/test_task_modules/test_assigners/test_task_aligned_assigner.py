import torch
from _assigner_reference import iou_matrix, random_boxes

from detkit.models.task_modules import build_assigner


def _reference(scores, boxes, anchors, gts, labels, topk, alpha=1, beta=6):
    ov = iou_matrix(boxes.tolist(), gts.tolist())
    n, g = len(ov), gts.size(0)
    metric = [[scores[j, labels[i]].item() ** alpha * ov[j][i] ** beta for i in range(g)]
              for j in range(n)]
    best = [(-1e8, -1)] * n
    for i in range(g):
        cands = sorted(range(n), key=lambda j: -metric[j][i])[:topk]
        b = gts[i].tolist()
        for j in cands:
            a = anchors[j].tolist()
            cx, cy = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
            inside = min(cx - b[0], cy - b[1], b[2] - cx, b[3] - cy) > 0.01
            if metric[j][i] > 0 and inside and ov[j][i] > best[j][0]:
                best[j] = (ov[j][i], i)
    inds = [b[1] + 1 for b in best]
    metrics = [metric[j][best[j][1]] if best[j][1] >= 0 else 0.0 for j in range(n)]
    return inds, metrics


def test_matches_brute_force():
    anchors = random_boxes(50, seed=11, min_wh=8, max_wh=30)
    g = torch.Generator().manual_seed(3)
    boxes = anchors + torch.randn(50, 4, generator=g, dtype=torch.float64)
    scores = torch.rand(50, 3, generator=g, dtype=torch.float64)
    gts = torch.cat([anchors[[0, 5, 17]] + 2.0, random_boxes(1, seed=12)])
    labels = torch.tensor([0, 2, 1, 1])
    a = build_assigner(dict(type='TaskAlignedAssigner', topk=5))
    res = a.assign(scores, boxes, anchors, gts, gt_labels=labels)
    want, metrics = _reference(scores, boxes, anchors, gts, labels.tolist(), 5)
    assert res.gt_inds.tolist() == want
    assert sum(k > 0 for k in want) >= 3
    assert torch.allclose(res.assign_metrics, torch.tensor(metrics, dtype=torch.float64))


def test_empty():
    a = build_assigner(dict(type='TaskAlignedAssigner', topk=5))
    res = a.assign(torch.rand(4, 3), random_boxes(4).float(), random_boxes(4).float(),
                   torch.zeros(0, 4), gt_labels=torch.zeros(0, dtype=torch.long))
    assert res.gt_inds.tolist() == [0] * 4 and res.assign_metrics.tolist() == [0.0] * 4
