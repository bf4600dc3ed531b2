"""``GridAssigner`` of YOLOv3: MaxIoU restricted to the anchors of the gt's grid cell."""
from __future__ import annotations

from numbers import Number
from typing import Optional, Union

import torch
from torch import Tensor

from ....registry import BBOX_ASSIGNERS
from ..builder import build_iou_calculator
from .assign_result import AssignResult
from .base_assigner import BaseAssigner, empty_result, labels_of, last_true_gt


@BBOX_ASSIGNERS.register_module()
class GridAssigner(BaseAssigner):
    """Like :class:`MaxIoUAssigner` but positives must be "responsible" anchors (those
    of the cell holding a gt centre); thresholds are strict (IoU > pos_iou_thr,
    negatives have IoU <= neg_iou_thr).

    Args:
        pos_iou_thr (float). neg_iou_thr (float | tuple[float, float]).
        min_pos_iou (float): least IoU of a gt's best responsible anchor.
        gt_max_assign_all (bool): give a gt all responsible anchors tied at its best IoU.
        iou_calculator (dict).
    """

    def __init__(self, pos_iou_thr: float, neg_iou_thr: Union[float, tuple],
                 min_pos_iou: float = .0, gt_max_assign_all: bool = True,
                 iou_calculator: dict = dict(type='BboxOverlaps2D')):  # noqa: B006 (mmdet default, never mutated)
        self.pos_iou_thr = pos_iou_thr
        self.neg_iou_thr = neg_iou_thr
        self.min_pos_iou = min_pos_iou
        self.gt_max_assign_all = gt_max_assign_all
        self.iou_calculator = build_iou_calculator(iou_calculator)

    def assign(self, bboxes: Tensor, box_responsible_flags: Tensor, gt_bboxes: Tensor,
               gt_labels: Optional[Tensor] = None) -> AssignResult:
        """Args: bboxes (N, 4) anchors; box_responsible_flags (N,) bool/uint8;
        gt_bboxes (G, 4); gt_labels (G,)."""
        num_gts, num_bboxes = gt_bboxes.size(0), bboxes.size(0)
        overlaps = self.iou_calculator(gt_bboxes, bboxes)
        if num_gts == 0 or num_bboxes == 0:
            return empty_result(num_gts, num_bboxes, overlaps, gt_labels, default_ind=-1)
        gt_inds = overlaps.new_full((num_bboxes,), -1, dtype=torch.long)
        max_overlaps = overlaps.max(dim=0).values
        if isinstance(self.neg_iou_thr, Number):
            gt_inds[(max_overlaps >= 0) & (max_overlaps <= self.neg_iou_thr)] = 0
        else:
            low, high = self.neg_iou_thr
            gt_inds[(max_overlaps > low) & (max_overlaps <= high)] = 0
        responsible = box_responsible_flags.bool()
        overlaps = torch.where(responsible[None, :], overlaps, overlaps.new_tensor(-1.))
        max_overlaps, argmax = overlaps.max(dim=0)
        gt_max = overlaps.max(dim=1).values
        pos = (max_overlaps > self.pos_iou_thr) & responsible
        gt_inds[pos] = argmax[pos] + 1
        gt_ok = (gt_max > self.min_pos_iou)[:, None]
        if self.gt_max_assign_all:
            best = (overlaps == gt_max[:, None]) & responsible[None, :]
        else:
            first = overlaps.argmax(dim=1)
            best = torch.zeros_like(overlaps, dtype=torch.bool)
            best[torch.arange(num_gts, device=overlaps.device), first] = True
            best &= responsible[None, :]
        winner = last_true_gt(best & gt_ok)
        gt_inds = torch.where(winner > 0, winner, gt_inds)
        return AssignResult(num_gts, gt_inds, max_overlaps, labels=labels_of(gt_inds, gt_labels))
