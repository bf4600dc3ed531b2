"""Non-maximum suppression: nms, soft_nms, batched_nms (mmcv 1.x semantics)."""

from __future__ import annotations

from typing import Any, Union

import numpy as np
import torch
from torch import Tensor

from detkit.utils.suggest import did_you_mean

ArrayLike = Union[Tensor, np.ndarray]

_SOFT_NMS_METHODS = {'naive': 0, 'linear': 1, 'gaussian': 2}
_NMS_TYPES = ('nms', 'soft_nms')


def _check_boxes_scores(op: str, boxes: Tensor, scores: Tensor, offset: int) -> None:
    if boxes.dim() != 2 or boxes.size(1) != 4:
        raise ValueError(f'{op}: boxes must have shape (n, 4), got {tuple(boxes.shape)}')
    if scores.dim() != 1 or scores.size(0) != boxes.size(0):
        raise ValueError(
            f'{op}: scores must have shape (n,) with n = {boxes.size(0)} (the number of boxes), '
            f'got {tuple(scores.shape)}'
        )
    if offset not in (0, 1):
        raise ValueError(f'{op}: offset must be 0 or 1, got {offset!r}')


def _as_tensors(boxes: ArrayLike, scores: ArrayLike) -> tuple[Tensor, Tensor, bool]:
    is_numpy = isinstance(boxes, np.ndarray)
    if is_numpy:
        return torch.from_numpy(boxes), torch.from_numpy(np.asarray(scores)), True
    return boxes, scores, False


def nms(
    boxes: ArrayLike,
    scores: ArrayLike,
    iou_threshold: float,
    offset: int = 0,
    score_threshold: float = 0,
    max_num: int = -1,
) -> tuple[ArrayLike, ArrayLike]:
    """Greedy non-maximum suppression (``mmcv.ops.nms``).

    Boxes are visited by decreasing score (equal scores in input order); a box is
    dropped when its IoU with a kept box is greater than ``iou_threshold``.

    Args:
        boxes (Tensor | ndarray): (n, 4) in (x1, y1, x2, y2).
        scores (Tensor | ndarray): (n,).
        iou_threshold (float): IoU above which the lower-scored box is dropped.
        offset (int): 0, or 1 for the legacy convention ``w = x2 - x1 + 1``.
        score_threshold (float): boxes with ``score <= score_threshold`` are
            dropped first when it is > 0.
        max_num (int): keep at most this many boxes (all if <= 0).

    Returns:
        tuple: dets (k, 5) [x1, y1, x2, y2, score] by decreasing score, and the
        indices (k,) int64 of the kept boxes in the input. NumPy in, NumPy out.
        dets is differentiable with respect to boxes and scores.
    """
    boxes_t, scores_t, is_numpy = _as_tensors(boxes, scores)
    _check_boxes_scores('nms', boxes_t, scores_t, offset)
    b, s = boxes_t.detach(), scores_t.detach()
    if score_threshold > 0:
        valid_inds = torch.nonzero(s > score_threshold).squeeze(1)
        inds = torch.ops.detkit.nms(b[valid_inds], s[valid_inds], float(iou_threshold), int(offset))
        inds = valid_inds[inds]
    else:
        inds = torch.ops.detkit.nms(b, s, float(iou_threshold), int(offset))
    if max_num > 0:
        inds = inds[:max_num]
    dets = torch.cat((boxes_t[inds], scores_t[inds].reshape(-1, 1).to(boxes_t.dtype)), dim=1)
    if is_numpy:
        return dets.numpy(), inds.numpy()
    return dets, inds


def soft_nms(
    boxes: ArrayLike,
    scores: ArrayLike,
    iou_threshold: float = 0.3,
    sigma: float = 0.5,
    min_score: float = 1e-3,
    method: str = 'linear',
    offset: int = 0,
) -> tuple[ArrayLike, ArrayLike]:
    """Soft-NMS (Bodla et al., 2017; ``mmcv.ops.soft_nms``).

    Repeatedly selects the box with the highest remaining score and multiplies
    the score of every remaining box by a weight of its IoU with the selected
    one: 'linear' ``1 - iou`` if ``iou >= iou_threshold``, 'gaussian'
    ``exp(-iou**2 / sigma)``, 'naive' ``0`` if ``iou >= iou_threshold``. Boxes
    whose score falls below ``min_score`` are dropped.

    Args:
        boxes (Tensor | ndarray): (n, 4) in (x1, y1, x2, y2).
        scores (Tensor | ndarray): (n,).

    Returns:
        tuple: dets (k, 5) [x1, y1, x2, y2, decayed score] in selection order
        (decreasing decayed score), indices (k,) int64 into the input.

    The algorithm is sequential and runs on the CPU; CUDA inputs are copied
    there and the results copied back, as mmcv does.
    """
    boxes_t, scores_t, is_numpy = _as_tensors(boxes, scores)
    _check_boxes_scores('soft_nms', boxes_t, scores_t, offset)
    if method not in _SOFT_NMS_METHODS:
        raise ValueError(
            f'soft_nms: method must be one of {tuple(_SOFT_NMS_METHODS)}, got {method!r}'
            + did_you_mean(str(method), _SOFT_NMS_METHODS)
        )
    dets, inds = torch.ops.detkit.soft_nms(
        boxes_t.detach().cpu(),
        scores_t.detach().cpu(),
        float(iou_threshold),
        float(sigma),
        float(min_score),
        _SOFT_NMS_METHODS[method],
        int(offset),
    )
    if is_numpy:
        return dets.numpy(), inds.numpy()
    return dets.to(boxes_t.device), inds.to(boxes_t.device)


def batched_nms(
    boxes: Tensor,
    scores: Tensor,
    idxs: Tensor,
    nms_cfg: dict[str, Any] | None,
    class_agnostic: bool = False,
) -> tuple[Tensor, Tensor]:
    """NMS applied independently per category (``mmcv.ops.batched_nms``).

    Boxes of different categories never suppress each other. Below
    ``split_thr`` boxes, each box is shifted by ``idx * (max coordinate + 1)``
    so that categories do not overlap and one NMS call runs on all of them (as
    mmcv). At or above it, NMS runs per category in one compiled call
    (categories in parallel on the CPU) on the unshifted boxes; mmcv shifts
    them there too, which only changes the float rounding of the IoUs.
    ``class_agnostic`` always runs one NMS over all boxes (mmcv falls back to
    per-category NMS above ``split_thr``).

    Args:
        boxes (Tensor): (n, 4) in (x1, y1, x2, y2).
        scores (Tensor): (n,).
        idxs (Tensor): (n,) integer category of each box.
        nms_cfg (dict | None): ``type`` ('nms' or 'soft_nms', default 'nms'),
            the arguments of that function (e.g. ``iou_threshold``),
            ``split_thr`` (default 10000), ``max_num`` (default -1: all) and
            ``class_agnostic``. None: no NMS, boxes sorted by score.
        class_agnostic (bool): suppress across categories too.

    Returns:
        tuple: dets (k, 5) [x1, y1, x2, y2, score] by decreasing score (the
        decayed score for soft_nms), and keep (k,) indices into the input.
    """
    if boxes.dim() != 2 or boxes.size(1) != 4:
        raise ValueError(f'batched_nms: boxes must have shape (n, 4), got {tuple(boxes.shape)}')
    if scores.dim() != 1 or scores.size(0) != boxes.size(0):
        raise ValueError(
            f'batched_nms: scores must have shape (n,) with n = {boxes.size(0)}, '
            f'got {tuple(scores.shape)}'
        )
    if idxs.dim() != 1 or idxs.size(0) != boxes.size(0):
        raise ValueError(
            f'batched_nms: idxs must have shape (n,) with n = {boxes.size(0)}, '
            f'got {tuple(idxs.shape)}'
        )
    if nms_cfg is None:
        scores, inds = scores.sort(descending=True, stable=True)
        return torch.cat([boxes[inds], scores[:, None]], -1), inds
    nms_cfg_ = dict(nms_cfg)
    class_agnostic = nms_cfg_.pop('class_agnostic', class_agnostic)
    nms_type = nms_cfg_.pop('type', 'nms')
    if nms_type not in _NMS_TYPES:
        raise ValueError(
            f'batched_nms: nms_cfg type must be one of {_NMS_TYPES}, got {nms_type!r}'
            + did_you_mean(str(nms_type), _NMS_TYPES)
        )
    split_thr = nms_cfg_.pop('split_thr', 10000)
    max_num = nms_cfg_.pop('max_num', -1)
    if boxes.numel() == 0:
        return boxes.new_zeros((0, 5)), idxs.new_zeros((0,), dtype=torch.long)

    if class_agnostic:
        boxes_for_nms = boxes
    elif boxes.shape[0] < split_thr or nms_type == 'soft_nms':
        max_coordinate = boxes.max()
        offsets = idxs.to(boxes) * (max_coordinate + torch.tensor(1).to(boxes))
        boxes_for_nms = boxes + offsets[:, None]

    if boxes.shape[0] < split_thr or class_agnostic:
        if nms_type == 'nms':
            dets, keep = nms(boxes_for_nms, scores, **nms_cfg_)
        else:
            dets, keep = soft_nms(boxes_for_nms, scores, **nms_cfg_)
        boxes = boxes[keep]
        scores = dets[:, -1]
    elif nms_type == 'nms':
        # Categories are separated by the kernel: no coordinate offsets, whose
        # float rounding on large offsets would perturb the IoUs.
        keep = _batched_nms_split(boxes, scores, idxs, **nms_cfg_)
        boxes, scores = boxes[keep], scores[keep]
    else:
        # Soft-NMS is sequential: per category it is O(sum n_c^2) instead of O(n^2).
        keep_list, score_list = [], []
        for cat in torch.unique(idxs):
            mask = (idxs == cat).nonzero().view(-1)
            dets, keep_c = soft_nms(boxes_for_nms[mask], scores[mask], **nms_cfg_)
            keep_list.append(mask[keep_c])
            score_list.append(dets[:, -1])
        keep, after = torch.cat(keep_list), torch.cat(score_list)
        keep, order = keep.sort()
        after, inds = after[order].sort(descending=True, stable=True)
        keep = keep[inds]
        boxes, scores = boxes[keep], after
    if max_num > 0:
        keep, boxes, scores = keep[:max_num], boxes[:max_num], scores[:max_num]
    return torch.cat([boxes, scores[:, None].to(boxes.dtype)], -1), keep


def _batched_nms_split(
    boxes: Tensor,
    scores: Tensor,
    idxs: Tensor,
    iou_threshold: float,
    offset: int = 0,
    score_threshold: float = 0,
) -> Tensor:
    """Per-category NMS in one compiled call; the arguments of :func:`nms`."""
    if offset not in (0, 1):
        raise ValueError(f'batched_nms: offset must be 0 or 1, got {offset!r}')
    b, s = boxes.detach(), scores.detach()
    if score_threshold > 0:
        valid = torch.nonzero(s > score_threshold).squeeze(1)
        keep = torch.ops.detkit.batched_nms(
            b[valid], s[valid], idxs[valid], float(iou_threshold), int(offset)
        )
        return valid[keep]
    return torch.ops.detkit.batched_nms(b, s, idxs, float(iou_threshold), int(offset))
