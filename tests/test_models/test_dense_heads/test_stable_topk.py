"""stable_topk: identical to the first k of a full stable descending sort, ties and NaN included;
filter_scores_and_topk and RPNHead results unchanged by it."""
import pytest
import torch

from detkit.models.dense_heads.dense_utils import filter_scores_and_topk, stable_topk


def reference(scores, k):
    values, indices = scores.sort(descending=True, stable=True)
    return values[:k], indices[:k]


def test_hand_case_with_ties_at_the_boundary():
    scores = torch.tensor([0.5, 0.9, 0.5, 0.1, 0.5, 0.9])
    values, indices = stable_topk(scores, 3)
    # 0.9 at 1 and 5, then the first 0.5 by index (0), not 2 or 4
    assert indices.tolist() == [1, 5, 0]
    assert values.tolist() == pytest.approx([0.9, 0.9, 0.5])


@pytest.mark.parametrize('k', [0, 1, 7, 50, 199, 200, 500])
def test_equals_full_stable_sort_with_many_ties(k):
    g = torch.Generator().manual_seed(k)
    scores = torch.randint(0, 20, (200,), generator=g).float() / 20  # heavy ties
    values, indices = stable_topk(scores, k)
    ref_values, ref_indices = reference(scores, k)
    assert torch.equal(indices, ref_indices)
    assert torch.equal(values, ref_values)


def test_nan_scores_follow_the_sort():
    scores = torch.tensor([0.2, float('nan'), 0.7, 0.1, float('nan')])
    values, indices = stable_topk(scores, 3)
    ref_values, ref_indices = reference(scores, 3)
    assert torch.equal(indices, ref_indices)
    assert torch.equal(values.isnan(), ref_values.isnan())


def test_filter_scores_and_topk_matches_the_sort_based_selection():
    g = torch.Generator().manual_seed(0)
    scores = (torch.randint(0, 50, (300, 4), generator=g).float() / 50)
    got_scores, labels, keep, _ = filter_scores_and_topk(scores, 0.3, 100)
    valid = torch.nonzero(scores > 0.3)
    ref_scores, order = scores[scores > 0.3].sort(descending=True, stable=True)
    assert torch.equal(got_scores, ref_scores[:100])
    assert torch.equal(keep, valid[order[:100], 0])
    assert torch.equal(labels, valid[order[:100], 1])


@pytest.mark.parametrize('kind', ['distinct', 'ties', 'constant', 'sorted', 'nan', 'nan_tail'])
@pytest.mark.parametrize('k', [1, 13, 50])
def test_long_inputs_take_the_block_maxima_path(kind, k):
    """n >= 64 k goes through the block-maxima bound: same result as the full sort."""
    g = torch.Generator().manual_seed(k)
    n = 64 * k + 37  # a tail that is not a whole block
    scores = torch.rand(n, generator=g)
    if kind == 'ties':
        scores = (scores * 6).floor() / 6
    elif kind == 'constant':
        scores = torch.full((n,), 0.5)
    elif kind == 'sorted':  # every maximum in the last blocks and the tail
        scores = torch.linspace(0, 1, n)
    elif kind == 'nan':
        scores[torch.randperm(n, generator=g)[:3 * k]] = float('nan')
    elif kind == 'nan_tail':  # only in the last, partial block
        scores[-1] = float('nan')
    values, indices = stable_topk(scores, k)
    ref_values, ref_indices = reference(scores, k)
    assert torch.equal(indices, ref_indices)
    assert torch.equal(values.isnan(), ref_values.isnan())
    assert torch.equal(values[~values.isnan()], ref_values[~ref_values.isnan()])
    # and the (N, C) filter with a threshold
    got, labels, keep, _ = filter_scores_and_topk(scores.view(-1, 1), 0.3, k)
    valid = scores > 0.3
    ref_scores, order = scores[valid].sort(descending=True, stable=True)
    assert torch.equal(got, ref_scores[:k])
    assert torch.equal(keep, torch.nonzero(valid).squeeze(1)[order[:k]])
