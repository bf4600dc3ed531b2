import pytest
import torch
import torch.nn.functional as F

from detkit.models.task_modules import build_sampler
from detkit.models.task_modules.assigners import AssignResult


def _assign(gt_inds, num_gts, overlaps=None, labels=None):
    gt_inds = torch.tensor(gt_inds)
    overlaps = torch.rand(len(gt_inds)) if overlaps is None else torch.tensor(overlaps)
    if labels is None:
        labels = torch.where(gt_inds > 0, gt_inds + 10, torch.full_like(gt_inds, -1))
    return AssignResult(num_gts, gt_inds, overlaps, labels=labels)


def _boxes(n):
    b = torch.arange(n, dtype=torch.float32)[:, None]
    return torch.cat([b, b, b + 5, b + 5], 1)


def test_random_sampler_counts_and_targets():
    torch.manual_seed(0)
    gt_bboxes = torch.tensor([[0., 0., 10., 10.], [5., 5., 15., 15.]])
    gt_inds = [1, 0, 0, 2, 0, -1, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]
    sampler = build_sampler(dict(type='RandomSampler', num=8, pos_fraction=0.5, neg_pos_ub=-1,
                                 add_gt_as_proposals=True))
    res = sampler.sample(_assign(gt_inds, 2), _boxes(16), gt_bboxes,
                         gt_labels=torch.tensor([11, 12]))
    assert len(res.pos_inds) == 4 and len(res.neg_inds) == 4
    full = [1, 2] + gt_inds  # the gts were prepended as their own positives
    assert all(full[i] > 0 for i in res.pos_inds.tolist())
    assert all(full[i] == 0 for i in res.neg_inds.tolist())
    assert res.pos_is_gt.tolist() == [1 if i < 2 else 0 for i in res.pos_inds.tolist()]
    assert torch.equal(res.pos_gt_bboxes, gt_bboxes[res.pos_assigned_gt_inds])
    assert res.pos_gt_labels.tolist() == [11 + k for k in res.pos_assigned_gt_inds.tolist()]
    assert res.bboxes.shape == (8, 4) and res.num_gts == 2
    # neg_pos_ub bounds the negatives by the positives
    sampler = build_sampler(dict(type='RandomSampler', num=8, pos_fraction=0.25, neg_pos_ub=1,
                                 add_gt_as_proposals=False))
    res = sampler.sample(_assign([1, 0, 0, 0, 0, 0], 1), _boxes(6), gt_bboxes[:1])
    assert len(res.pos_inds) == 1 and len(res.neg_inds) == 1


def test_random_sampler_errors_and_empty_gts():
    sampler = build_sampler(dict(type='RandomSampler', num=4, pos_fraction=0.5))
    with pytest.raises(ValueError, match='gt_labels must be given'):
        sampler.sample(_assign([0, 0], 1), _boxes(2), torch.tensor([[0., 0., 1., 1.]]))
    res = sampler.sample(_assign([0, 0, 0], 0), _boxes(3), torch.zeros(0, 4))
    assert len(res.pos_inds) == 0 and len(res.neg_inds) == 3
    assert res.pos_gt_bboxes.shape == (0, 4)


def test_pseudo_sampler_takes_all():
    res = build_sampler(dict(type='PseudoSampler')).sample(
        _assign([0, 2, -1, 1, 0], 2), _boxes(5), _boxes(2))
    assert res.pos_inds.tolist() == [1, 3] and res.neg_inds.tolist() == [0, 4]
    assert res.pos_assigned_gt_inds.tolist() == [1, 0]
    assert res.info['pos_is_gt'].tolist() == [0, 0]


def test_instance_balanced_pos_sampler():
    torch.manual_seed(0)
    # gt 1 has 10 positives, gt 2 has 2, gt 3 has 1
    gt_inds = [1] * 10 + [2] * 2 + [3] + [0] * 10
    sampler = build_sampler(dict(type='InstanceBalancedPosSampler', num=12, pos_fraction=0.5,
                                 add_gt_as_proposals=False))
    res = sampler.sample(_assign(gt_inds, 3), _boxes(len(gt_inds)), _boxes(3))
    counts = torch.bincount(torch.tensor(gt_inds)[res.pos_inds], minlength=4).tolist()
    # 6 positives: round(6 / 3) + 1 = 3 per gt at most, then filled from the rest
    assert sum(counts) == 6 and counts[2] == 2 and counts[3] == 1 and counts[1] == 3


def test_iou_balanced_neg_sampler_spreads_over_bins():
    torch.manual_seed(0)
    n = 60
    overlaps = [i / n * 0.5 for i in range(n)]  # IoU in [0, 0.5)
    sampler = build_sampler(dict(type='IoUBalancedNegSampler', num=12, pos_fraction=0.25,
                                 floor_thr=-1, floor_fraction=0, num_bins=3,
                                 add_gt_as_proposals=False))
    res = sampler.sample(_assign([1] + [0] * (n - 1), 1, overlaps), _boxes(n), _boxes(1))
    assert len(res.neg_inds) == 11
    neg_iou = torch.tensor(overlaps)[res.neg_inds]
    edges = torch.tensor([0.0, 0.4917 / 3, 2 * 0.4917 / 3, 0.4917])
    per_bin = torch.histogram(neg_iou, edges).hist.tolist()
    assert per_bin[0] >= 3 and per_bin[1] >= 3 and per_bin[2] >= 3
    # a floor: at most (1 - floor_fraction) of the negatives from above the floor
    sampler = build_sampler(dict(type='IoUBalancedNegSampler', num=10, pos_fraction=0.,
                                 floor_thr=0.1, floor_fraction=0.5, num_bins=1,
                                 add_gt_as_proposals=False))
    res = sampler.sample(_assign([0] * n, 1, overlaps), _boxes(n), _boxes(1))
    neg_iou = torch.tensor(overlaps)[res.neg_inds]
    assert len(res.neg_inds) == 10 and (neg_iou >= 0.1).sum() == 5
    with pytest.raises(ValueError, match='floor_fraction'):
        build_sampler(dict(type='IoUBalancedNegSampler', num=1, pos_fraction=0.5,
                           floor_fraction=2))


class _FakeBBoxHead:
    num_classes = 3

    def loss(self, cls_score, bbox_pred, rois, labels, label_weights, bbox_targets,
             bbox_weights, reduction_override=None):
        return dict(loss_cls=F.cross_entropy(cls_score, labels, reduction='none'))


class _FakeRoIHead:
    """_bbox_forward scores each RoI by its x1: larger x1 -> more confident background."""

    def __init__(self):
        self.bbox_head = _FakeBBoxHead()

    def _bbox_forward(self, feats, rois):
        x1 = rois[:, 1:2]
        return dict(cls_score=torch.cat([torch.zeros_like(x1).expand(-1, 3), x1 * 0.1], 1))


def test_ohem_sampler_keeps_hardest():
    sampler = build_sampler(dict(type='OHEMSampler', num=4, pos_fraction=0.25,
                                 add_gt_as_proposals=False), context=_FakeRoIHead())
    gt_inds = [1, 0, 0, 0, 0, 0, 0, 0]
    res = sampler.sample(_assign(gt_inds, 1, labels=torch.tensor([0] + [-1] * 7)), _boxes(8),
                         _boxes(1), feats=None)
    # negatives are labelled background (3); the hardest have the smallest x1
    assert res.pos_inds.tolist() == [0]
    assert sorted(res.neg_inds.tolist()) == [1, 2, 3]


def test_combined_sampler_libra_config():
    torch.manual_seed(0)
    cfg = dict(type='CombinedSampler', num=8, pos_fraction=0.25, add_gt_as_proposals=False,
               pos_sampler=dict(type='InstanceBalancedPosSampler'),
               neg_sampler=dict(type='IoUBalancedNegSampler', floor_thr=-1, floor_fraction=0,
                                num_bins=3))
    sampler = build_sampler(cfg)
    assert type(sampler.pos_sampler).__name__ == 'InstanceBalancedPosSampler'
    assert sampler.neg_sampler.num == 8 and sampler.neg_sampler.pos_fraction == 0.25
    gt_inds = [1, 1, 1, 2, 2] + [0] * 30
    overlaps = [0.9] * 5 + [i / 60 for i in range(30)]
    res = sampler.sample(_assign(gt_inds, 2, overlaps), _boxes(35), _boxes(2))
    assert len(res.pos_inds) == 2 and len(res.neg_inds) == 6
    assert all(gt_inds[i] > 0 for i in res.pos_inds) and all(gt_inds[i] == 0 for i in res.neg_inds)
    # IoU-balanced over thirds of [0, max IoU 0.9): int(6 / 3) = 2 from each of the two
    # populated bins (negatives reach 0.48 only), then 2 more at random
    neg_iou = torch.tensor(overlaps)[res.neg_inds]
    hist = torch.histogram(neg_iou, torch.tensor([0., 0.3, 0.6, 0.9])).hist.tolist()
    assert hist[0] >= 2 and hist[1] >= 2 and hist[2] == 0


def test_random_results_are_consistent_and_seeded():
    from detkit.models.task_modules.samplers import SamplingResult
    for seed in range(5):
        a = AssignResult.random(rng=seed)
        b = AssignResult.random(rng=seed)
        assert torch.equal(a.gt_inds, b.gt_inds)
        assert a.gt_inds.max().item() <= a.num_gts and a.gt_inds.min().item() >= -1
        pos = a.gt_inds > 0
        assert pos.sum() <= a.num_gts  # each gt at most once
        if a.labels is not None:
            assert ((a.labels >= 0) == pos).all()
        s1 = SamplingResult.random(rng=seed)
        s2 = SamplingResult.random(rng=seed)
        assert torch.equal(s1.pos_inds, s2.pos_inds) and torch.equal(s1.neg_inds, s2.neg_inds)
        assert s1.pos_gt_bboxes.shape == (len(s1.pos_inds), 4)


def test_sampler_rng_is_private():
    res = [build_sampler(dict(type='RandomSampler', num=4, pos_fraction=0.5,
                              add_gt_as_proposals=False, rng=7)).sample(
        _assign([1] * 10 + [0] * 10, 1), _boxes(20), _boxes(1)).pos_inds for _ in range(2)]
    assert torch.equal(res[0], res[1])
