"""Tensor helpers shared by dense heads (MMDetection 2.x's ``mmdet.core.utils`` names).

``multi_apply`` maps a per-level (or per-image) function and transposes its
outputs; ``unmap`` scatters per-inside-anchor targets back to all anchors;
``select_single_mlvl`` takes one image out of per-level batched maps;
``filter_scores_and_topk`` keeps the best (prior, class) pairs of one level.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, Optional, Sequence, Union

import torch
from torch import Tensor

__all__ = ['multi_apply', 'unmap', 'select_single_mlvl', 'filter_scores_and_topk']


def multi_apply(func: Callable, *args: Sequence, **kwargs: Any) -> tuple:
    """Apply ``func`` to zipped ``args`` and regroup the outputs per position.

    ``multi_apply(f, [a0, a1], [b0, b1], k=1)`` calls ``f(a0, b0, k=1)`` and
    ``f(a1, b1, k=1)``; when ``f`` returns tuples ``(x, y)`` the result is
    ``([x0, x1], [y0, y1])``.

    Returns:
        tuple[list]: one list per output of ``func``.
    """
    pfunc = partial(func, **kwargs) if kwargs else func
    outputs = list(map(pfunc, *args))
    if not outputs:
        return ()
    if not isinstance(outputs[0], tuple):
        return (outputs, )
    return tuple(map(list, zip(*outputs)))


def unmap(data: Tensor, count: int, inds: Tensor, fill: Union[int, float] = 0) -> Tensor:
    """Scatter ``data`` (one row per True of ``inds``) back into ``count`` rows.

    Args:
        data (Tensor): (M, ...) values of the selected rows.
        count (int): N, rows of the result.
        inds (Tensor): (N,) bool (or 0/1) mask with M True entries.
        fill (int | float): value of the rows not selected.

    Returns:
        Tensor: (N, ...) with ``data`` dtype.
    """
    ret = data.new_full((count, ) + tuple(data.shape[1:]), fill)
    ret[inds.bool()] = data
    return ret


def select_single_mlvl(mlvl_tensors: Sequence[Tensor], batch_id: int,
                       detach: bool = True) -> list[Tensor]:
    """Image ``batch_id`` of every level: [(B, ...)] * L -> [(...)] * L (detached by default)."""
    if not isinstance(mlvl_tensors, (list, tuple)):
        raise TypeError(f'select_single_mlvl: mlvl_tensors must be a list or tuple of tensors, '
                        f'but got {type(mlvl_tensors).__name__}')
    if detach:
        return [t[batch_id].detach() for t in mlvl_tensors]
    return [t[batch_id] for t in mlvl_tensors]


def stable_topk(scores: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """The first ``k`` of ``scores.sort(descending=True, stable=True)``, without sorting all.

    ``torch.topk`` finds the k-th value ``v`` in one pass; only the scores ``>= v``
    (k plus ties) are then stable-sorted, so the values, indices and tie order are
    exactly those of the full stable sort (a sort of a 10^6-score level costs ~10x
    a top-k on CPU).

    Args:
        scores (Tensor): (N,) scores.
        k (int): how many to keep; ``k >= N`` keeps all.

    Returns:
        tuple: ``values`` (min(k, N),) decreasing, ``indices`` (min(k, N),) into ``scores``.
    """
    n = scores.size(0)
    if k >= n:
        values, indices = scores.sort(descending=True, stable=True)
        return values, indices
    if k <= 0:
        return scores.new_zeros(0), torch.zeros(0, dtype=torch.long, device=scores.device)
    kth = scores.topk(k, sorted=False).values.min()
    candidates = torch.nonzero(scores >= kth).squeeze(1)  # in index order
    if candidates.numel() < k:  # NaN scores: fall back to the full sort's NaN handling
        values, indices = scores.sort(descending=True, stable=True)
        return values[:k], indices[:k]
    values, order = scores[candidates].sort(descending=True, stable=True)
    return values[:k], candidates[order[:k]]


def filter_scores_and_topk(scores: Tensor, score_thr: float, topk: int,
                           results: Optional[Union[dict, list, Tensor]] = None) -> tuple:
    """Keep (prior, class) pairs scoring above ``score_thr``, at most ``topk`` of them.

    Args:
        scores (Tensor): (N, C) scores of N priors.
        score_thr (float): keep ``score > score_thr``.
        topk (int): most pairs kept, best first; ``topk <= 0`` keeps all of them
            (MMDetection's ``min(topk, n)`` slicing would drop the last pair for -1).
        results (dict | list | Tensor, optional): per-prior values (N, ...)
            filtered along with the scores.

    Returns:
        tuple: ``scores`` (K,) by decreasing value, ``labels`` (K,) class index,
        ``keep_idxs`` (K,) prior index, and ``results`` filtered by ``keep_idxs``
        (same container type, or None).
    """
    valid_mask = scores > score_thr
    scores = scores[valid_mask]
    valid_idxs = torch.nonzero(valid_mask)
    num_topk = valid_idxs.size(0) if topk <= 0 else min(int(topk), valid_idxs.size(0))
    # a stable order keeps equal scores in prior order, so results are reproducible
    scores, idxs = stable_topk(scores, num_topk)
    topk_idxs = valid_idxs[idxs]
    keep_idxs, labels = topk_idxs.unbind(dim=1)

    filtered: Any = None
    if results is not None:
        if isinstance(results, dict):
            filtered = {k: v[keep_idxs] for k, v in results.items()}
        elif isinstance(results, (list, tuple)):
            filtered = [r[keep_idxs] for r in results]
        elif isinstance(results, Tensor):
            filtered = results[keep_idxs]
        else:
            raise TypeError(f'filter_scores_and_topk: results must be a dict, list or Tensor, '
                            f'but got {type(results).__name__}')
    return scores, labels, keep_idxs, filtered
