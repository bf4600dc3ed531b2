"""``UniformAssigner`` of YOLOF: each gt takes its k nearest predictions and k nearest anchors."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from ....registry import BBOX_ASSIGNERS
from ....structures import bbox_xyxy_to_cxcywh
from ..builder import build_iou_calculator
from .assign_result import AssignResult
from .base_assigner import BaseAssigner, labels_of


@BBOX_ASSIGNERS.register_module()
class UniformAssigner(BaseAssigner):
    """Each gt takes the ``match_times`` predicted boxes and the ``match_times``
    anchors nearest to it (L1 in (cx, cy, w, h)); such a match is ignored (-1) when the
    anchor's IoU with the gt is < ``pos_ignore_thr``. Predictions whose best IoU with
    any gt is > ``neg_ignore_thr`` are ignored instead of negative.

    Args:
        pos_ignore_thr (float). neg_ignore_thr (float). match_times (int): 4.
        iou_calculator (dict).
    """

    def __init__(self, pos_ignore_thr: float, neg_ignore_thr: float, match_times: int = 4,
                 iou_calculator: dict = dict(type='BboxOverlaps2D')):  # noqa: B006 (mmdet default, never mutated)
        self.match_times = match_times
        self.pos_ignore_thr = pos_ignore_thr
        self.neg_ignore_thr = neg_ignore_thr
        self.iou_calculator = build_iou_calculator(iou_calculator)

    def assign(self, bbox_pred: Tensor, anchor: Tensor, gt_bboxes: Tensor,
               gt_bboxes_ignore: Optional[Tensor] = None,
               gt_labels: Optional[Tensor] = None) -> AssignResult:
        """Args: bbox_pred (N, 4) decoded boxes; anchor (N, 4); gt_bboxes (G, 4);
        gt_labels (G,).

        Returns:
            AssignResult (``max_overlaps``: each gt's best anchor IoU, (G,)) with extra
            properties ``pos_idx`` (2kG,) bool, ``pos_predicted_boxes`` (2kG, 4) and
            ``target_boxes`` (2kG, 4) of the matches.
        """
        num_gts, num_bboxes = gt_bboxes.size(0), bbox_pred.size(0)
        gt_inds = bbox_pred.new_zeros((num_bboxes,), dtype=torch.long)
        if num_gts == 0 or num_bboxes == 0:
            labels = bbox_pred.new_full((num_bboxes,), -1, dtype=torch.long)
            result = AssignResult(num_gts, gt_inds, None, labels=labels)
            result.set_extra_property('pos_idx', bbox_pred.new_empty(0, dtype=torch.bool))
            result.set_extra_property('pos_predicted_boxes', bbox_pred.new_empty((0, 4)))
            result.set_extra_property('target_boxes', bbox_pred.new_empty((0, 4)))
            return result
        gt_cxcywh = bbox_xyxy_to_cxcywh(gt_bboxes)
        cost_pred = torch.cdist(bbox_xyxy_to_cxcywh(bbox_pred), gt_cxcywh, p=1)
        cost_anchor = torch.cdist(bbox_xyxy_to_cxcywh(anchor), gt_cxcywh, p=1)
        k = self.match_times
        # top-k on CPU: CUDA's topk breaks ties differently, and YOLOF's numbers come
        # from the CPU order
        idx_pred = cost_pred.cpu().topk(k, dim=0, largest=False).indices
        idx_anchor = cost_anchor.cpu().topk(k, dim=0, largest=False).indices
        indexes = torch.cat([idx_pred, idx_anchor], dim=1).reshape(-1).to(bbox_pred.device)
        pred_overlaps = self.iou_calculator(bbox_pred, gt_bboxes)
        anchor_overlaps = self.iou_calculator(anchor, gt_bboxes)
        gt_inds[pred_overlaps.max(dim=1).values > self.neg_ignore_thr] = -1
        pos_gt = torch.arange(num_gts, device=bbox_pred.device).repeat(2 * k)
        pos_ignore = anchor_overlaps[indexes, pos_gt] < self.pos_ignore_thr
        values = torch.where(pos_ignore, torch.full_like(pos_gt, -1), pos_gt + 1)
        # several gts may pick the same prediction: the last one listed wins (made
        # explicit, since index_put_ with repeated indices has no defined order)
        order = torch.arange(indexes.numel(), device=indexes.device)
        last = torch.full((num_bboxes,), -1, dtype=torch.long, device=indexes.device)
        last = last.scatter_reduce(0, indexes, order, reduce='amax')
        hit = last >= 0
        gt_inds[hit] = values[last[hit]]
        result = AssignResult(num_gts, gt_inds, anchor_overlaps.max(dim=0).values,
                              labels=labels_of(gt_inds, gt_labels))
        result.set_extra_property('pos_idx', ~pos_ignore)
        result.set_extra_property('pos_predicted_boxes', bbox_pred[indexes])
        result.set_extra_property('target_boxes', gt_bboxes[pos_gt])
        return result
