"""detkit.evaluation.recall."""
import numpy as np
import pytest

from detkit.evaluation import eval_recalls


def test_eval_recalls_hand_computed(capsys):
    gts = [np.array([[0, 0, 10, 10], [20, 0, 30, 10]], dtype=np.float32),
           np.zeros((0, 4), dtype=np.float32)]
    props = [np.array([[0, 0, 10, 9, 0.1],      # IoU 0.9 with gt 0, lowest score
                       [0, 0, 10, 8, 0.9],      # IoU 0.8 with gt 0
                       [20, 0, 30, 7, 0.8]],    # IoU 0.7 with gt 1
                      dtype=np.float32),
             np.array([[0, 0, 5, 5, 0.5]], dtype=np.float32)]
    rec = eval_recalls(gts, props, proposal_nums=[1, 2, 3], iou_thrs=[0.5, 0.75, 0.85])
    np.testing.assert_allclose(rec, [[0.5, 0.5, 0.0],    # top-1: only the 0.8 box
                                     [1.0, 0.5, 0.0],    # + the 0.7 box
                                     [1.0, 0.5, 0.5]])   # + the 0.9 box takes gt 0
    out = capsys.readouterr().out
    assert '0.75' in out and '| 3 ' in out
    # a single int / float and unsorted 4-column proposals
    rec = eval_recalls(gts[:1], [props[0][:, :4]], proposal_nums=1, iou_thrs=0.85,
                       logger='silent')
    np.testing.assert_allclose(rec, [[0.5]])


def _greedy_reference(gt, prop):
    """float64, loops: repeatedly take the best remaining (gt, proposal) pair."""
    pairs = []
    for i, g in enumerate(gt):
        for j, p in enumerate(prop):
            iw = max(0.0, min(g[2], p[2]) - max(g[0], p[0]))
            ih = max(0.0, min(g[3], p[3]) - max(g[1], p[1]))
            inter = iw * ih
            union = (g[2] - g[0]) * (g[3] - g[1]) + (p[2] - p[0]) * (p[3] - p[1]) - inter
            pairs.append((inter / union, i, j))
    pairs.sort(key=lambda t: -t[0])
    used_g, used_p, best = set(), set(), []
    for iou, i, j in pairs:
        if i not in used_g and j not in used_p:
            used_g.add(i), used_p.add(j), best.append(iou)
    return best + [0.0] * (len(gt) - len(best))


def test_eval_recalls_equals_brute_force():
    rng = np.random.default_rng(0)
    gts, props = [], []
    for _ in range(6):
        n, m = rng.integers(1, 6), rng.integers(0, 12)
        xy = rng.uniform(0, 50, (n, 2))
        gts.append(np.hstack([xy, xy + rng.uniform(5, 30, (n, 2))]).astype(np.float32))
        pxy = rng.uniform(0, 50, (m, 2))
        p = np.hstack([pxy, pxy + rng.uniform(5, 30, (m, 2)), rng.random((m, 1))])
        props.append(p.astype(np.float32))
    thrs = [0.3, 0.5, 0.7]
    for num in (3, 100):
        ref = []
        for g, p in zip(gts, props):
            p = p[np.argsort(-p[:, 4])][:num]
            ref += _greedy_reference(g.astype(np.float64), p.astype(np.float64))
        ref = np.array(ref)
        expect = [(ref >= t).mean() for t in thrs]
        ours = eval_recalls(gts, props, proposal_nums=num, iou_thrs=thrs, logger='silent')
        np.testing.assert_allclose(ours[0], expect, atol=1e-6)


def test_eval_recalls_length_mismatch():
    with pytest.raises(ValueError, match='2 ground-truth lists but 1 proposal lists'):
        eval_recalls([np.zeros((0, 4))] * 2, [np.zeros((0, 4))])
