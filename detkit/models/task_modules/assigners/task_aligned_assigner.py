"""``TaskAlignedAssigner`` of TOOD (https://arxiv.org/abs/2108.07755)."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from ....registry import BBOX_ASSIGNERS
from ..builder import build_iou_calculator
from .assign_result import AssignResult
from .base_assigner import BaseAssigner, centers_inside, empty_result, labels_of

INF = 100000000


@BBOX_ASSIGNERS.register_module()
class TaskAlignedAssigner(BaseAssigner):
    """Each gt takes the ``topk`` priors of highest alignment score^alpha * IoU^beta
    (score of the gt's class, IoU of the predicted box) whose metric is > 0 and whose
    centre lies inside the gt; a prior taken by several gts goes to the highest IoU.

    Args:
        topk (int): candidates per gt.
        iou_calculator (dict).
    """

    def __init__(self, topk: int, iou_calculator: dict = dict(type='BboxOverlaps2D')):  # noqa: B006 (mmdet default, never mutated)
        if topk < 1:
            raise ValueError(f'TaskAlignedAssigner: topk must be >= 1, got {topk}')
        self.topk = topk
        self.iou_calculator = build_iou_calculator(iou_calculator)

    def assign(self, pred_scores: Tensor, decode_bboxes: Tensor, anchors: Tensor,
               gt_bboxes: Tensor, gt_bboxes_ignore: Optional[Tensor] = None,
               gt_labels: Optional[Tensor] = None, alpha: float = 1,
               beta: float = 6) -> AssignResult:
        """Args: pred_scores (N, C) probabilities; decode_bboxes (N, 4); anchors (N, 4+);
        gt_bboxes (G, 4); gt_labels (G,); alpha, beta exponents.

        Returns:
            AssignResult with ``assign_metrics`` (N,): the alignment metric of positives.
        """
        anchors = anchors[:, :4]
        num_gt, num_bboxes = gt_bboxes.size(0), anchors.size(0)
        if num_gt == 0 or num_bboxes == 0:
            result = empty_result(num_gt, num_bboxes, anchors, gt_labels)
            result.assign_metrics = anchors.new_zeros((num_bboxes,))
            return result
        overlaps = self.iou_calculator(decode_bboxes, gt_bboxes).detach()
        bbox_scores = pred_scores[:, gt_labels].detach()
        metrics = bbox_scores ** alpha * overlaps ** beta  # (N, G)
        k = min(self.topk, num_bboxes)
        candidate_idxs = metrics.topk(k, dim=0, largest=True).indices  # (K, G)
        gt_range = torch.arange(num_gt, device=anchors.device)
        is_pos = metrics[candidate_idxs, gt_range] > 0
        centers = (anchors[:, :2] + anchors[:, 2:]) / 2.0
        is_pos &= centers_inside(centers[candidate_idxs, 0], centers[candidate_idxs, 1],
                                 gt_bboxes)
        pos_overlaps = torch.full_like(overlaps, -INF)
        gt_cols = gt_range[None, :].expand_as(candidate_idxs)
        rows, cols = candidate_idxs[is_pos], gt_cols[is_pos]
        pos_overlaps[rows, cols] = overlaps[rows, cols]
        max_overlaps, argmax = pos_overlaps.max(dim=1)
        matched = max_overlaps != -INF
        gt_inds = anchors.new_zeros((num_bboxes,), dtype=torch.long)
        gt_inds[matched] = argmax[matched] + 1
        assign_metrics = anchors.new_zeros((num_bboxes,))
        assign_metrics[matched] = metrics[matched, argmax[matched]].to(assign_metrics.dtype)
        result = AssignResult(num_gt, gt_inds, max_overlaps, labels=labels_of(gt_inds, gt_labels))
        result.assign_metrics = assign_metrics
        return result
