import torch

from detkit.models.task_modules import build_assigner


def test_core_shadow_priority_and_ignore():
    a = build_assigner(dict(type='CenterRegionAssigner', pos_scale=0.4, neg_scale=0.8,
                            min_pos_iof=0.01))
    # priors: 4 x 4 px cells centred on a grid of step 4
    xs = torch.arange(0, 40, 4.)
    cx, cy = torch.meshgrid(xs + 2, xs + 2, indexing='xy')
    priors = torch.stack([cx - 2, cy - 2, cx + 2, cy + 2], -1).view(-1, 4)
    big = [0., 0., 40., 40.]    # core: [12, 12, 28, 28]
    small = [14., 14., 26., 26.]  # core: [17.6, 17.6, 22.4, 22.4]
    gts = torch.tensor([big, small])
    res = a.assign(priors, gts, gt_labels=torch.tensor([3, 7]))
    inds = res.gt_inds.view(10, 10)
    # the priors covering the small core go to the small gt (higher priority)
    assert inds[4, 4] == 2 and inds[5, 5] == 2
    # priors in the big core but off the small core go to the big gt
    assert inds[4, 3] == 1 and inds[3, 5] == 1
    # far away: background
    assert inds[0, 0] == 0
    shadowed = res.get_extra_property('shadowed_labels')
    # (prior, label) pairs: the cores the big gt lost to the small one are shadowed
    # for class 3, and nothing is shadowed with the label it is positive for
    pairs = {tuple(p) for p in shadowed.tolist()}
    assert (44, 3) in pairs and (55, 3) in pairs
    for prior, label in pairs:
        assert label == -1 or res.labels[prior] != label
    # an ignored region (scaled by ignore_gt_scale = 0.5 to [-1, 5]) marks its priors -1
    res = a.assign(priors, gts, gt_bboxes_ignore=torch.tensor([[-4., -4., 8., 8.]]))
    assert res.gt_inds.view(10, 10)[0, 0] == -1


def test_empty():
    a = build_assigner(dict(type='CenterRegionAssigner', pos_scale=0.2, neg_scale=0.5))
    res = a.assign(torch.tensor([[0., 0., 4., 4.]]), torch.zeros(0, 4),
                   gt_labels=torch.zeros(0, dtype=torch.long))
    assert res.gt_inds.tolist() == [0]
    assert res.get_extra_property('shadowed_labels').shape == (0, 2)


def _scale(b, s):
    cx, cy, hw, hh = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2, (b[2] - b[0]) / 2, (b[3] - b[1]) / 2
    return [cx - hw * s, cy - hh * s, cx + hw * s, cy + hh * s]


def _iof(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return w * h / max((a[2] - a[0]) * (a[3] - a[1]), 1e-6)


def _reference(priors, gts, labels, pos_scale, neg_scale, min_iof):
    P, G = priors.tolist(), gts.tolist()
    areas = [(b[2] - b[0]) * (b[3] - b[1]) for b in G]
    # priority: rank of the area in descending order (the smallest gt ranks highest)
    order = sorted(range(len(G)), key=lambda i: -areas[i])
    prio = {i: r for r, i in enumerate(order)}
    inds, shadow = [0] * len(P), set()
    for j, p in enumerate(P):
        cx, cy = (p[0] + p[2]) / 2, (p[1] + p[3]) / 2
        core = [i for i, b in enumerate(G)
                if b[0] < cx < b[2] and b[1] < cy < b[3]
                and _iof(p, _scale(b, pos_scale)) > min_iof]
        for i, b in enumerate(G):
            if i not in core and _iof(p, _scale(b, neg_scale)) > min_iof:
                shadow.add((j, i))
        if core:
            win = max(core, key=lambda i: prio[i])
            inds[j] = win + 1
            shadow |= {(j, i) for i in core if i != win}
    pairs = []
    for j, i in shadow:  # one (prior, label) row per shadowing gt
        lab = labels[i]
        if inds[j] > 0 and labels[inds[j] - 1] == lab:
            lab = -1
        pairs.append((j, lab))
    return inds, sorted(pairs)


def test_matches_brute_force():
    g = torch.Generator().manual_seed(0)
    xs = torch.arange(0, 64, 4., dtype=torch.float64)
    cx, cy = torch.meshgrid(xs + 2, xs + 2, indexing='xy')
    priors = torch.stack([cx - 4, cy - 4, cx + 4, cy + 4], -1).view(-1, 4)
    xy = torch.rand(5, 2, generator=g, dtype=torch.float64) * 40
    gts = torch.cat([xy, xy + 8 + torch.rand(5, 2, generator=g, dtype=torch.float64) * 30], 1)
    labels = [0, 1, 1, 2, 0]
    a = build_assigner(dict(type='CenterRegionAssigner', pos_scale=0.3, neg_scale=0.7,
                            min_pos_iof=0.01))
    res = a.assign(priors, gts, gt_labels=torch.tensor(labels))
    inds, pairs = _reference(priors, gts, labels, 0.3, 0.7, 0.01)
    assert res.gt_inds.tolist() == inds
    assert len({k for k in inds if k > 0}) >= 4
    got = res.get_extra_property('shadowed_labels').tolist()
    assert sorted(tuple(p) for p in got) == pairs
