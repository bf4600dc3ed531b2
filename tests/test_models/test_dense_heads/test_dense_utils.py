"""dense_utils: multi_apply, unmap, select_single_mlvl, filter_scores_and_topk (hand cases)."""
import pytest
import torch

from detkit.models.dense_heads import filter_scores_and_topk, multi_apply, select_single_mlvl, unmap


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
