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
