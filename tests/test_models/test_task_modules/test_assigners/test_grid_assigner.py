import torch
from _assigner_reference import iou_matrix, random_boxes

from detkit.models.task_modules import build_assigner


def _reference(bboxes, flags, gts, pos, neg, min_pos, assign_all=True):
    B, G = bboxes.tolist(), gts.tolist()
    ov = iou_matrix(G, B)
    n, g = len(B), len(G)
    inds = [-1] * n
    for j in range(n):
        m = max(ov[i][j] for i in range(g))
        if 0 <= m <= neg:
            inds[j] = 0
    for i in range(g):
        for j in range(n):
            if not flags[j]:
                ov[i][j] = -1.0
    for j in range(n):
        m = max(ov[i][j] for i in range(g))
        arg = max(range(g), key=lambda i: (ov[i][j], -i))
        if m > pos and flags[j]:
            inds[j] = arg + 1
    for i in range(g):
        best = max(ov[i])
        if best > min_pos:
            if assign_all:
                for j in range(n):
                    if ov[i][j] == best and flags[j]:
                        inds[j] = i + 1
            elif flags[ov[i].index(best)]:
                inds[ov[i].index(best)] = i + 1
    return inds


def test_matches_brute_force():
    bboxes = random_boxes(40, seed=7)
    gts = torch.cat([bboxes[[2, 9]] + 1.5, random_boxes(2, seed=8)])
    flags = torch.zeros(40, dtype=torch.uint8)
    flags[[2, 3, 9, 11, 20, 21, 30]] = 1
    for assign_all in (True, False):
        a = build_assigner(dict(type='GridAssigner', pos_iou_thr=0.5, neg_iou_thr=0.3,
                                min_pos_iou=0.0, gt_max_assign_all=assign_all))
        res = a.assign(bboxes, flags, gts)
        want = _reference(bboxes, flags.tolist(), gts, 0.5, 0.3, 0.0, assign_all)
        assert res.gt_inds.tolist() == want
        assert any(k > 0 for k in want) and any(k == 0 for k in want)


def test_empty():
    a = build_assigner(dict(type='GridAssigner', pos_iou_thr=0.5, neg_iou_thr=0.3))
    res = a.assign(random_boxes(4), torch.ones(4, dtype=torch.uint8),
                   torch.zeros(0, 4, dtype=torch.float64))
    assert res.gt_inds.tolist() == [0] * 4
