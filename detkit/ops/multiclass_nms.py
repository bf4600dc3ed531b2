"""Detection post-processing over classes: multiclass_nms and fast_nms (MMDetection 2.x)."""

from __future__ import annotations

from typing import Any, Optional

import torch
from torch import Tensor

from .bbox_overlaps import bbox_overlaps
from .nms import batched_nms


def multiclass_nms(
    multi_bboxes: Tensor,
    multi_scores: Tensor,
    score_thr: float,
    nms_cfg: dict[str, Any],
    max_num: int = -1,
    score_factors: Optional[Tensor] = None,
    return_inds: bool = False,
):
    """NMS for multi-class boxes (``mmdet.core.multiclass_nms``).

    Args:
        multi_bboxes (Tensor): (n, 4) boxes shared by all classes, or (n, C*4)
            one box per class.
        multi_scores (Tensor): (n, C+1) scores; the last column is background
            and is ignored.
        score_thr (float): (class, box) pairs with score <= score_thr are dropped.
        nms_cfg (dict): e.g. ``dict(type='nms', iou_threshold=0.5)``; see
            :func:`detkit.ops.batched_nms`.
        max_num (int): keep at most this many detections (all if <= 0).
        score_factors (Tensor, optional): (n,) multiplied into the scores after
            thresholding (e.g. centerness).
        return_inds (bool): also return the index of each detection in the
            flattened (n * C) candidate list.

    Returns:
        tuple: dets (k, 5) [x1, y1, x2, y2, score] by decreasing score,
        labels (k,) int64 and, if ``return_inds``, inds (k,).
    """
    if multi_scores.dim() != 2 or multi_scores.size(1) < 2:
        raise ValueError(
            'multiclass_nms: multi_scores must have shape (n, C + 1), '
            f'got {tuple(multi_scores.shape)}'
        )
    num_classes = multi_scores.size(1) - 1
    n = multi_scores.size(0)
    if (
        multi_bboxes.dim() != 2
        or multi_bboxes.size(0) != n
        or multi_bboxes.size(1) not in (4, 4 * num_classes)
    ):
        raise ValueError(
            f'multiclass_nms: multi_bboxes must have shape ({n}, 4) or ({n}, {4 * num_classes}) '
            f'for multi_scores of shape {tuple(multi_scores.shape)}, '
            f'got {tuple(multi_bboxes.shape)}'
        )
    if multi_bboxes.shape[1] > 4:
        bboxes = multi_bboxes.view(n, -1, 4)
    else:
        bboxes = multi_bboxes[:, None].expand(n, num_classes, 4)
    scores = multi_scores[:, :-1]
    labels = torch.arange(num_classes, dtype=torch.long, device=scores.device)
    labels = labels.view(1, -1).expand_as(scores)

    bboxes = bboxes.reshape(-1, 4)
    scores = scores.reshape(-1)
    labels = labels.reshape(-1)

    valid_mask = scores > score_thr
    if score_factors is not None:
        # Multiplied after thresholding to keep more boxes (YOLOv3, FCOS).
        score_factors = score_factors.view(-1, 1).expand(n, num_classes).reshape(-1)
        scores = scores * score_factors
    inds = valid_mask.nonzero().squeeze(1)
    bboxes, scores, labels = bboxes[inds], scores[inds], labels[inds]

    if bboxes.numel() == 0:
        dets = torch.cat([bboxes, scores[:, None]], -1)
        return (dets, labels, inds) if return_inds else (dets, labels)

    dets, keep = batched_nms(bboxes, scores, labels, nms_cfg)
    if max_num > 0:
        dets, keep = dets[:max_num], keep[:max_num]
    if return_inds:
        return dets, labels[keep], inds[keep]
    return dets, labels[keep]


def fast_nms(
    multi_bboxes: Tensor,
    multi_scores: Tensor,
    multi_coeffs: Tensor,
    score_thr: float,
    iou_thr: float,
    top_k: int,
    max_num: int = -1,
):
    """Fast NMS (YOLACT, Bolya et al. 2019; ``mmdet.core.fast_nms``).

    Per class, the ``top_k`` highest-scored boxes are kept when no
    higher-scored box of the class overlaps them by more than ``iou_thr``
    (suppressed boxes may still suppress others: a matrix version of NMS).

    Args:
        multi_bboxes (Tensor): (n, 4) boxes shared by all classes.
        multi_scores (Tensor): (n, C+1) scores, last column background.
        multi_coeffs (Tensor): (n, M) mask coefficients.
        score_thr (float): detections with score <= score_thr are dropped.
        iou_thr (float): IoU threshold.
        top_k (int): candidates per class.
        max_num (int): keep at most this many detections (all if <= 0).

    Returns:
        tuple: dets (k, 5), labels (k,), coeffs (k, M).
    """
    scores = multi_scores[:, :-1].t()  # (C, n)
    scores, idx = scores.sort(1, descending=True)
    idx = idx[:, :top_k].contiguous()
    scores = scores[:, :top_k]
    num_classes, num_dets = idx.size()
    if num_dets == 0:
        return (
            multi_bboxes.new_zeros((0, 5)),
            idx.new_zeros((0,)),
            multi_coeffs.new_zeros((0, multi_coeffs.size(-1))),
        )
    boxes = multi_bboxes[idx.view(-1), :].view(num_classes, num_dets, 4)
    coeffs = multi_coeffs[idx.view(-1), :].view(num_classes, num_dets, -1)

    iou = bbox_overlaps(boxes, boxes)  # (C, k, k)
    iou.triu_(diagonal=1)
    iou_max, _ = iou.max(dim=1)
    keep = (iou_max <= iou_thr) & (scores > score_thr)

    classes = torch.arange(num_classes, device=boxes.device)[:, None].expand_as(keep)
    classes, boxes, coeffs, scores = classes[keep], boxes[keep], coeffs[keep], scores[keep]

    scores, idx = scores.sort(0, descending=True)
    if max_num > 0:
        idx, scores = idx[:max_num], scores[:max_num]
    classes, boxes, coeffs = classes[idx], boxes[idx], coeffs[idx]
    return torch.cat([boxes, scores[:, None]], dim=1), classes, coeffs
