import math

import torch

from detkit.models.task_modules import build_assigner


def _reference(points, gts, scale=4, pos_num=3):
    """RepPoints' loop over gts: later gts take a point only when strictly nearer."""
    P, G = points.tolist(), gts.tolist()
    lvls = [int(math.log2(p[2])) for p in P]
    inds, dists = [0] * len(P), [math.inf] * len(P)
    for i, b in enumerate(G):
        w, h = max(b[2] - b[0], 1e-6), max(b[3] - b[1], 1e-6)
        lvl = int((math.log2(w / scale) + math.log2(h / scale)) / 2)
        lvl = min(max(lvl, min(lvls)), max(lvls))
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        cand = [j for j in range(len(P)) if lvls[j] == lvl]
        d = {j: math.hypot((P[j][0] - cx) / w, (P[j][1] - cy) / h) for j in cand}
        for j in sorted(cand, key=lambda j: d[j])[:pos_num]:
            if d[j] < dists[j]:
                inds[j], dists[j] = i + 1, d[j]
    return inds


def _points():
    pts = []
    for stride, size in ((8, 8), (16, 4)):
        for y in range(size):
            for x in range(size):
                pts.append([x * stride + stride / 2, y * stride + stride / 2, stride])
    return torch.tensor(pts, dtype=torch.float64)


def test_matches_loop_reference():
    points = _points()
    gts = torch.tensor([[2., 2., 30., 30.], [10., 12., 40., 34.], [0., 0., 60., 62.],
                        [20., 20., 28., 30.]], dtype=torch.float64)
    a = build_assigner(dict(type='PointAssigner', scale=4, pos_num=3))
    res = a.assign(points, gts, gt_labels=torch.tensor([5, 6, 7, 8]))
    want = _reference(points, gts)
    assert res.gt_inds.tolist() == want
    assert len({k for k in want if k > 0}) == 4
    assert res.max_overlaps is None
    assert res.labels.tolist() == [[0, 5, 6, 7, 8][k] if k > 0 else -1 for k in want]


def test_empty():
    a = build_assigner(dict(type='PointAssigner'))
    res = a.assign(_points(), torch.zeros(0, 4, dtype=torch.float64),
                   gt_labels=torch.zeros(0, dtype=torch.long))
    assert (res.gt_inds == 0).all() and (res.labels == -1).all()
