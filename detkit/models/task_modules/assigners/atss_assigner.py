"""``ATSSAssigner``: adaptive training sample selection (https://arxiv.org/abs/1912.02424)."""
from __future__ import annotations

import warnings
from typing import Optional, Sequence

import torch
from torch import Tensor

from ....registry import BBOX_ASSIGNERS
from ..builder import build_iou_calculator
from .assign_result import AssignResult
from .base_assigner import BaseAssigner, centers_inside, empty_result, labels_of

INF = 100000000


@BBOX_ASSIGNERS.register_module()
class ATSSAssigner(BaseAssigner):
    """For each gt: take the ``topk`` priors closest (centre distance) on every level;
    the IoU threshold is mean + std of their IoUs; candidates at or above it whose
    centre lies inside the gt are positive. A prior positive for several gts goes to
    the one with the highest IoU. Other priors are negative (0), or ignored (-1) when
    they overlap ``gt_bboxes_ignore`` by IoF > ``ignore_iof_thr``.

    Args:
        topk (int): candidates per level per gt.
        alpha (float, optional): DDOD's cost-based variant: the "IoU" is
            sigmoid(cls)^(1 - alpha) * IoU(pred, gt)^alpha (needs ``cls_scores`` and
            ``bbox_preds``).
        iou_calculator (dict): config of the IoU calculator.
        ignore_iof_thr (float): negative disables ignoring.
    """

    def __init__(self, topk: int, alpha: Optional[float] = None,
                 iou_calculator: dict = dict(type='BboxOverlaps2D'), ignore_iof_thr: float = -1):  # noqa: B006 (mmdet default, never mutated)
        self.topk = topk
        self.alpha = alpha
        self.iou_calculator = build_iou_calculator(iou_calculator)
        self.ignore_iof_thr = ignore_iof_thr

    def assign(self, bboxes: Tensor, num_level_bboxes: Sequence[int], gt_bboxes: Tensor,
               gt_bboxes_ignore: Optional[Tensor] = None, gt_labels: Optional[Tensor] = None,
               cls_scores: Optional[Tensor] = None,
               bbox_preds: Optional[Tensor] = None) -> AssignResult:
        """Assign gts to priors.

        Args:
            bboxes (Tensor): (N, 4) priors of all levels, level by level.
            num_level_bboxes (list[int]): priors per level (sum N).
            gt_bboxes (Tensor): (G, 4). gt_bboxes_ignore (Tensor, optional): (I, 4).
            gt_labels (Tensor, optional): (G,).
            cls_scores (Tensor, optional): (N, C) logits, for ``alpha``.
            bbox_preds (Tensor, optional): (N, 4) decoded boxes, for ``alpha``.

        Returns:
            AssignResult: ``max_overlaps`` holds the IoU of positives and -INF elsewhere.
        """
        bboxes = bboxes[:, :4]
        num_gt, num_bboxes = gt_bboxes.size(0), bboxes.size(0)
        if self.alpha is None:
            overlaps = self.iou_calculator(bboxes, gt_bboxes)
            if cls_scores is not None or bbox_preds is not None:
                warnings.warn('ATSSAssigner: cls_scores/bbox_preds are used only with alpha '
                              '(the cost-based DDOD variant); they are ignored', UserWarning,
                              stacklevel=2)
        else:
            if cls_scores is None or bbox_preds is None:
                raise ValueError('ATSSAssigner with alpha needs cls_scores and bbox_preds')
            cls_cost = torch.sigmoid(cls_scores[:, gt_labels])
            overlaps = self.iou_calculator(bbox_preds, gt_bboxes)
            overlaps = cls_cost ** (1 - self.alpha) * overlaps ** self.alpha
        if num_gt == 0 or num_bboxes == 0:
            return empty_result(num_gt, num_bboxes, overlaps, gt_labels)
        if sum(num_level_bboxes) != num_bboxes:
            raise ValueError(f'ATSSAssigner: num_level_bboxes {list(num_level_bboxes)} sum to '
                             f'{sum(num_level_bboxes)}, but there are {num_bboxes} bboxes')
        gt_inds = overlaps.new_zeros((num_bboxes,), dtype=torch.long)
        centers = (bboxes[:, :2] + bboxes[:, 2:]) / 2.0
        gt_centers = (gt_bboxes[:, :2] + gt_bboxes[:, 2:]) / 2.0
        distances = (centers[:, None, :] - gt_centers[None, :, :]).pow(2).sum(-1).sqrt()
        if (self.ignore_iof_thr > 0 and gt_bboxes_ignore is not None
                and gt_bboxes_ignore.numel() > 0):
            iof = self.iou_calculator(bboxes, gt_bboxes_ignore, mode='iof').max(dim=1).values
            ignored = iof > self.ignore_iof_thr
            distances[ignored, :] = INF
            gt_inds[ignored] = -1

        # top-k closest priors per gt on each level (a loop over levels only)
        candidates, start = [], 0
        for n in num_level_bboxes:
            k = min(self.topk, n)
            idx = distances[start:start + n].topk(k, dim=0, largest=False).indices
            candidates.append(idx + start)
            start += n
        candidate_idxs = torch.cat(candidates, dim=0)  # (K, G)
        gt_range = torch.arange(num_gt, device=overlaps.device)
        candidate_overlaps = overlaps[candidate_idxs, gt_range]
        thr = candidate_overlaps.mean(0) + candidate_overlaps.std(0)
        is_pos = candidate_overlaps >= thr[None, :]
        is_pos &= centers_inside(centers[candidate_idxs, 0], centers[candidate_idxs, 1], gt_bboxes)

        # a prior positive for several gts goes to the gt of highest overlap
        pos_overlaps = torch.full_like(overlaps, -INF)  # (N, G)
        gt_cols = gt_range[None, :].expand_as(candidate_idxs)
        pos_overlaps[candidate_idxs[is_pos], gt_cols[is_pos]] = overlaps[candidate_idxs[is_pos],
                                                                         gt_cols[is_pos]]
        max_overlaps, argmax = pos_overlaps.max(dim=1)
        matched = max_overlaps != -INF
        gt_inds[matched] = argmax[matched] + 1
        return AssignResult(num_gt, gt_inds, max_overlaps, labels=labels_of(gt_inds, gt_labels))
