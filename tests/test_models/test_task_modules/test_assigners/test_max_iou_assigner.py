import pytest
import torch
from _assigner_reference import iou_matrix, random_boxes

from detkit.models.task_modules import build_assigner
from detkit.models.task_modules.assigners import MaxIoUAssigner


def _reference_assign(bboxes, gts, ignore, cfg):
    """MaxIoUAssigner's four documented steps, one box and one gt at a time."""
    B, G = bboxes.tolist(), gts.tolist()
    n, g = len(B), len(G)
    ov = iou_matrix(G, B)
    thr = cfg.get('ignore_iof_thr', -1)
    if thr > 0 and ignore is not None and len(ignore):
        for j in range(n):
            if cfg.get('ignore_wrt_candidates', True):
                m = max(iou_matrix([B[j]], ignore.tolist(), 'iof')[0])
            else:
                m = max(row[0] for row in iou_matrix(ignore.tolist(), [B[j]], 'iof'))
            if m > thr:
                for i in range(g):
                    ov[i][j] = -1.0
    inds = [-1] * n
    maxo = [max(ov[i][j] for i in range(g)) for j in range(n)]
    argm = [max(range(g), key=lambda i: (ov[i][j], -i)) for j in range(n)]
    neg = cfg['neg_iou_thr']
    for j in range(n):
        if isinstance(neg, tuple):
            if neg[0] <= maxo[j] < neg[1]:
                inds[j] = 0
        elif 0 <= maxo[j] < neg:
            inds[j] = 0
        if maxo[j] >= cfg['pos_iou_thr']:
            inds[j] = argm[j] + 1
    if cfg.get('match_low_quality', True):
        for i in range(g):
            best = max(ov[i])
            if best >= cfg.get('min_pos_iou', 0.0):
                if cfg.get('gt_max_assign_all', True):
                    for j in range(n):
                        if ov[i][j] == best:
                            inds[j] = i + 1
                else:
                    inds[ov[i].index(best)] = i + 1
    return inds, maxo


CONFIGS = [
    dict(pos_iou_thr=0.5, neg_iou_thr=0.4, min_pos_iou=0.0),
    dict(pos_iou_thr=0.5, neg_iou_thr=0.4, min_pos_iou=0.1, gt_max_assign_all=False),
    dict(pos_iou_thr=0.4, neg_iou_thr=(0.1, 0.3), min_pos_iou=0.0, match_low_quality=False),
    dict(pos_iou_thr=0.5, neg_iou_thr=0.5, ignore_iof_thr=0.5),
    dict(pos_iou_thr=0.5, neg_iou_thr=0.3, ignore_iof_thr=0.3, ignore_wrt_candidates=False),
]


@pytest.mark.parametrize('cfg', CONFIGS)
@pytest.mark.parametrize('seed', [0, 1])
def test_matches_brute_force(cfg, seed):
    bboxes = random_boxes(60, seed=seed)
    # gts near some boxes so there are positives, low-quality matches and ties
    gts = torch.cat([bboxes[:3] + 2.0, random_boxes(3, seed=seed + 10)])
    ignore = random_boxes(2, seed=seed + 20, max_wh=60)
    labels = torch.tensor([3, 1, 4, 1, 5, 9])
    assigner = build_assigner(dict(type='MaxIoUAssigner', **cfg))
    res = assigner.assign(bboxes, gts, gt_bboxes_ignore=ignore, gt_labels=labels)
    want, maxo = _reference_assign(bboxes, gts, ignore, cfg)
    assert res.gt_inds.tolist() == want
    assert torch.allclose(res.max_overlaps, torch.tensor(maxo, dtype=torch.float64))
    expect_labels = [labels[k - 1].item() if k > 0 else -1 for k in want]
    assert res.labels.tolist() == expect_labels
    assert res.num_gts == 6 and res.num_preds == 60


def test_low_quality_tie_goes_to_later_gt_and_all_tied_boxes():
    bboxes = torch.tensor([[0., 0., 10., 10.], [20., 0., 30., 10.], [40., 0., 50., 10.]])
    # every gt-box pair that touches has IoU 50 / 250 = 0.2: gt 0 ties boxes 0 and 1,
    # gt 1 ties boxes 1 and 2
    gts = torch.tensor([[5., 0., 25., 10.], [25., 0., 45., 10.]])
    a = MaxIoUAssigner(pos_iou_thr=0.5, neg_iou_thr=0.2, min_pos_iou=0.15)
    res = a.assign(bboxes, gts)
    # box 1 is tied for both gts: the later gt (1) wins; box 0 -> gt 0; box 2 -> gt 1
    assert res.gt_inds.tolist() == [1, 2, 2]
    a = MaxIoUAssigner(pos_iou_thr=0.5, neg_iou_thr=0.2, min_pos_iou=0.15,
                       gt_max_assign_all=False)
    assert a.assign(bboxes, gts).gt_inds.tolist() == [1, 2, -1]
    a = MaxIoUAssigner(pos_iou_thr=0.5, neg_iou_thr=0.2, min_pos_iou=0.21)
    assert a.assign(bboxes, gts).gt_inds.tolist() == [-1, -1, -1]


def test_zero_gts_and_zero_boxes():
    a = MaxIoUAssigner(pos_iou_thr=0.5, neg_iou_thr=0.4)
    res = a.assign(random_boxes(5), torch.zeros(0, 4, dtype=torch.float64),
                   gt_labels=torch.zeros(0, dtype=torch.long))
    assert res.gt_inds.tolist() == [0] * 5 and res.labels.tolist() == [-1] * 5
    assert res.max_overlaps.tolist() == [0.0] * 5
    res = a.assign(torch.zeros(0, 4), torch.tensor([[0., 0., 5., 5.]]))
    assert res.gt_inds.numel() == 0 and res.labels is None and res.num_gts == 1
    # ignore regions with no candidates
    a = MaxIoUAssigner(pos_iou_thr=0.5, neg_iou_thr=0.4, ignore_iof_thr=0.5)
    res = a.assign(torch.zeros(0, 4), torch.tensor([[0., 0., 5., 5.]]),
                   gt_bboxes_ignore=torch.tensor([[0., 0., 5., 5.]]))
    assert res.gt_inds.numel() == 0


def test_gpu_assign_thr_keeps_results_and_bad_neg_thr():
    bboxes, gts = random_boxes(20), random_boxes(4, seed=3)
    a = MaxIoUAssigner(pos_iou_thr=0.5, neg_iou_thr=0.4, gpu_assign_thr=2)
    b = MaxIoUAssigner(pos_iou_thr=0.5, neg_iou_thr=0.4)
    assert torch.equal(a.assign(bboxes, gts).gt_inds, b.assign(bboxes, gts).gt_inds)
    with pytest.raises(ValueError, match='neg_iou_thr'):
        MaxIoUAssigner(pos_iou_thr=0.5, neg_iou_thr='0.4')


def test_add_gt_and_info():
    a = MaxIoUAssigner(pos_iou_thr=0.5, neg_iou_thr=0.4)
    res = a.assign(random_boxes(3), random_boxes(2, seed=5), gt_labels=torch.tensor([7, 8]))
    before = res.gt_inds.clone()
    res.add_gt_(torch.tensor([7, 8]))
    assert res.gt_inds.tolist() == [1, 2] + before.tolist()
    assert res.max_overlaps[:2].tolist() == [1.0, 1.0] and res.labels[:2].tolist() == [7, 8]
    res.set_extra_property('foo', 1)
    assert res.info['foo'] == 1 and res.info['num_preds'] == 5
    with pytest.raises(KeyError):
        res.set_extra_property('labels', 0)
