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
    found = _at_or_above_kth(scores, k)
    if found is None:  # NaN scores: fall back to the full sort's NaN handling
        values, indices = scores.sort(descending=True, stable=True)
        return values[:k], indices[:k]
    candidates = found[0]
    values, order = scores[candidates].sort(descending=True, stable=True)
    return values[:k], candidates[order[:k]]


def _at_or_above_kth(flat: Tensor, k: int) -> Optional[tuple[Tensor, Tensor]]:
    """Indices (in index order) of every score at or above a value ``kth`` that is at
    most the k-th largest score, and ``kth``; at least ``k`` of them. None when NaNs
    leave fewer than ``k`` comparable scores there.

    ``kth`` is the exact k-th largest unless NaNs are present (topk ranks NaN first).
    For a long ``flat`` (>= 64 k scores, e.g. 1.2e7 at RetinaNet's P3) a top-k over
    all of it costs ~6x more than this: the k-th largest of the maxima of 4k
    blocks is a lower bound of the k-th largest score (k blocks have a maximum at
    or above it), the few scores at or above that bound are gathered, and the
    k-th value is found among them. A NaN anywhere makes the bound NaN: None.

    Args:
        flat (Tensor): (N,) scores, 0 < k < N.
    """
    n = flat.numel()
    if n >= 64 * k:
        blocks = 4 * k
        size = n // blocks
        maxima = flat[:blocks * size].view(blocks, size).amax(1)
        if blocks * size < n:  # the tail is one more block (a NaN anywhere must show)
            maxima = torch.cat([maxima, flat[blocks * size:].amax().view(1)])
        bound = maxima.topk(k, sorted=False).values.min()  # NaN if any score is NaN
        candidates = torch.nonzero(flat >= bound).squeeze(1)
        if candidates.numel() < k:
            return None
        values = flat[candidates]
        kth = values.topk(k, sorted=False).values.min()
        return candidates[values >= kth], kth
    kth = flat.topk(k, sorted=False).values.min()
    candidates = torch.nonzero(flat >= kth).squeeze(1)
    if candidates.numel() < k:
        return None
    return candidates, kth


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
    num_classes = scores.size(1) if scores.dim() == 2 else 1
    flat_idxs, scores = _topk_above(scores.reshape(-1), score_thr, topk)
    keep_idxs, labels = flat_idxs // num_classes, flat_idxs % num_classes
    return scores, labels, keep_idxs, _filter_results(results, keep_idxs)


def filter_chw_scores_and_topk(scores: Tensor, num_classes: int, score_thr: float, topk: int,
                               results: Optional[Union[dict, list, Tensor]] = None) -> tuple:
    """:func:`filter_scores_and_topk` of a head's score map as it comes out of the conv.

    ``scores`` is (A * C, H, W); the result equals
    ``filter_scores_and_topk(scores.permute(1, 2, 0).reshape(-1, C), ...)`` (prior
    index ``(h * W + w) * A + a``, the same values, labels and tie order) without
    the transposing copy of the whole map: candidates are found in the map's own
    layout, then ordered by their transposed index before the stable sort.

    Args:
        scores (Tensor): (A * C, H, W) scores of A priors per location and C classes.
        num_classes (int): C.
        score_thr, topk, results: as :func:`filter_scores_and_topk` (``results``
            per prior, (H * W * A, ...)).

    Returns:
        tuple: as :func:`filter_scores_and_topk`.
    """
    ac, h, w = scores.shape
    if ac % num_classes:
        raise ValueError(f'filter_chw_scores_and_topk: {ac} channels are not a multiple of '
                         f'num_classes={num_classes}')
    chw_idxs, values = _topk_above(scores.reshape(-1), score_thr, topk, ordered=False)
    # (a * C + c) * H * W + y * W + x  ->  ((y * W + x) * A + a) * C + c
    hw = h * w
    hwc_idxs = (chw_idxs % hw) * ac + chw_idxs // hw
    hwc_idxs, order = hwc_idxs.sort()
    values, by_score = values[order].sort(descending=True, stable=True)
    flat_idxs = hwc_idxs[by_score][:topk] if topk > 0 else hwc_idxs[by_score]
    values = values[:topk] if topk > 0 else values
    keep_idxs, labels = flat_idxs // num_classes, flat_idxs % num_classes
    return values, labels, keep_idxs, _filter_results(results, keep_idxs)


def _topk_above(flat: Tensor, score_thr: float, topk: int,
                ordered: bool = True) -> tuple[Tensor, Tensor]:
    """Indices and values of the ``topk`` largest of ``flat`` (N,) that are above
    ``score_thr`` (all of them when ``topk <= 0``).

    With ``ordered`` they are the first ``topk`` of a stable descending sort of the
    scores above the threshold (ties in index order). Without it they are a
    superset in index order: the top ``topk`` plus any ties of the k-th value.

    ``topk`` finds the k-th value first, so only the few candidates at or above it
    are gathered and sorted; a mask-select and ``nonzero`` over every score above
    the threshold (most of a 10^7-score level of an untrained head) would cost
    several times more.
    """
    idxs = None
    if 0 < topk < flat.numel():
        found = _at_or_above_kth(flat, topk)
        # kth <= score_thr: fewer than topk scores are above the threshold (or NaNs
        # made kth an underestimate): take every score above it
        if found is not None and found[1] > score_thr:
            idxs = found[0]
    if idxs is None:
        idxs = torch.nonzero(flat > score_thr).squeeze(1)
    values = flat[idxs]
    if not ordered:
        return idxs, values
    values, order = values.sort(descending=True, stable=True)
    if topk > 0:
        values, order = values[:topk], order[:topk]
    return idxs[order], values


def _filter_results(results: Optional[Union[dict, list, Tensor]], keep_idxs: Tensor) -> Any:
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
    return filtered
