"""dense_utils: multi_apply, unmap, select_single_mlvl, filter_scores_and_topk (hand cases)."""
import pytest
import torch

from detkit.models.dense_heads import filter_scores_and_topk, multi_apply, select_single_mlvl, unmap
from detkit.models.dense_heads.dense_utils import filter_chw_scores_and_topk


def test_multi_apply_transposes_outputs_and_passes_kwargs():
    out = multi_apply(lambda a, b, k=0: (a + b, a * b + k), [1, 2, 3], [4, 5, 6], k=10)
    assert out == ([5, 7, 9], [14, 20, 28])
    assert multi_apply(lambda a: a * 2, [1, 2]) == ([2, 4], )
    assert multi_apply(lambda a: (a, a), []) == ()


def test_unmap_scatters_rows_and_fills_the_rest():
    inds = torch.tensor([False, True, False, True])
    assert unmap(torch.tensor([7, 9]), 4, inds, fill=3).tolist() == [3, 7, 3, 9]
    out = unmap(torch.tensor([[1., 2.], [3., 4.]]), 4, inds)
    assert out.tolist() == [[0, 0], [1, 2], [0, 0], [3, 4]]
    assert unmap(torch.tensor([1.5]), 3, torch.tensor([0, 0, 1])).tolist() == [0, 0, 1.5]


def test_select_single_mlvl_takes_one_image_detached():
    a = torch.arange(12.).reshape(2, 2, 3).requires_grad_()
    b = torch.arange(4.).reshape(2, 2)
    out = select_single_mlvl([a, b], 1)
    assert out[0].tolist() == [[6, 7, 8], [9, 10, 11]] and not out[0].requires_grad
    assert out[1].tolist() == [2, 3]
    assert select_single_mlvl([a], 0, detach=False)[0].requires_grad
    with pytest.raises(TypeError, match='list or tuple'):
        select_single_mlvl(a, 0)


def test_filter_scores_and_topk_hand_case():
    scores = torch.tensor([[0.1, 0.9], [0.6, 0.2], [0.3, 0.7]])
    boxes = torch.arange(12.).reshape(3, 4)
    s, labels, keep, res = filter_scores_and_topk(scores, 0.25, 3, dict(b=boxes))
    # pairs above 0.25: (0,1)=.9, (1,0)=.6, (2,0)=.3, (2,1)=.7 -> top 3 .9, .7, .6
    assert torch.allclose(s, torch.tensor([0.9, 0.7, 0.6]))
    assert labels.tolist() == [1, 1, 0] and keep.tolist() == [0, 2, 1]
    assert res['b'].tolist() == [boxes[0].tolist(), boxes[2].tolist(), boxes[1].tolist()]
    # topk <= 0 keeps every pair above the threshold; lists and tensors are filtered too
    s, labels, keep, res = filter_scores_and_topk(scores, 0.25, -1, [boxes])
    assert len(s) == 4 and keep.tolist() == [0, 2, 1, 2] and res[0].shape == (4, 4)
    s, labels, keep, res = filter_scores_and_topk(scores, 0.95, 10, boxes)
    assert s.numel() == 0 and res.shape == (0, 4)


def _reference_filter(scores, score_thr, topk):
    """The definition: every (prior, class) above the threshold in row-major order, a
    stable descending sort, the first topk."""
    valid = scores > score_thr
    idxs = torch.nonzero(valid)
    values, order = scores[valid].sort(descending=True, stable=True)
    if topk > 0:
        values, order = values[:topk], order[:topk]
    return values, idxs[order, 1], idxs[order, 0]


@pytest.mark.parametrize('topk', [-1, 1, 7, 50, 1000])
@pytest.mark.parametrize('quantised', [False, True])  # True: many exact ties
def test_filter_scores_and_topk_equals_full_stable_sort(topk, quantised):
    g = torch.Generator().manual_seed(topk + 7 * quantised)
    scores = torch.rand(300, 6, generator=g)
    if quantised:
        scores = (scores * 8).floor() / 8
    boxes = torch.rand(300, 4, generator=g)
    for thr in (0.0, 0.5, 0.9):
        s, labels, keep, res = filter_scores_and_topk(scores, thr, topk, boxes)
        rs, rl, rk = _reference_filter(scores, thr, topk)
        assert torch.equal(s, rs) and torch.equal(labels, rl) and torch.equal(keep, rk)
        assert torch.equal(res, boxes[rk])


@pytest.mark.parametrize('topk', [-1, 5, 64, 10**6])
@pytest.mark.parametrize('quantised', [False, True])
def test_filter_chw_scores_equals_transposed_filter(topk, quantised):
    """(A * C, H, W) maps as the convs give them: the same result as transposing to
    (H * W * A, C) first, ties included."""
    g = torch.Generator().manual_seed(topk % 97 + quantised)
    a, c, h, w = 3, 4, 5, 7
    scores = torch.rand(a * c, h, w, generator=g)
    if quantised:
        scores = (scores * 4).floor() / 4
    priors = torch.rand(h * w * a, 4, generator=g)
    for thr in (0.0, 0.3, 0.99):
        s, labels, keep, res = filter_chw_scores_and_topk(scores, c, thr, topk,
                                                          dict(priors=priors))
        rs, rl, rk = _reference_filter(scores.permute(1, 2, 0).reshape(-1, c), thr, topk)
        assert torch.equal(s, rs) and torch.equal(labels, rl) and torch.equal(keep, rk)
        assert torch.equal(res['priors'], priors[rk])
    with pytest.raises(ValueError, match='multiple of num_classes=5'):
        filter_chw_scores_and_topk(scores, 5, 0.1, 3)


def test_filter_ignores_nan_scores():
    scores = torch.tensor([[float('nan'), 0.4], [0.8, float('nan')], [0.6, 0.1]])
    s, labels, keep, _ = filter_scores_and_topk(scores, 0.2, 2)
    assert s.tolist() == pytest.approx([0.8, 0.6]) and keep.tolist() == [1, 2]
    assert labels.tolist() == [0, 0]
    s, _, keep, _ = filter_scores_and_topk(scores, 0.2, 1)  # topk sees NaN as the largest
    assert s.tolist() == pytest.approx([0.8]) and keep.tolist() == [1]
