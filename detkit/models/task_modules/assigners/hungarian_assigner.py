"""``HungarianAssigner`` of DETR: one-to-one matching of queries to gts at minimum cost."""
from __future__ import annotations

from typing import Optional

import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from ....registry import BBOX_ASSIGNERS
from ....structures import bbox_cxcywh_to_xyxy
from ..builder import build_match_cost
from .assign_result import AssignResult
from .base_assigner import BaseAssigner


@BBOX_ASSIGNERS.register_module()
class HungarianAssigner(BaseAssigner):
    """Cost = cls_cost + reg_cost (L1 of normalised boxes) + iou_cost (of absolute
    boxes); scipy's ``linear_sum_assignment`` finds the one-to-one matching of least
    total cost. Unmatched queries are negative (0).

    Args:
        cls_cost (dict): a MATCH_COSTS config. Default ClassificationCost.
        reg_cost (dict): Default BBoxL1Cost.
        iou_cost (dict): Default IoUCost (giou).
    """

    def __init__(self, cls_cost: dict = dict(type='ClassificationCost', weight=1.),  # noqa: B006 (mmdet default, never mutated)
                 reg_cost: dict = dict(type='BBoxL1Cost', weight=1.0),  # noqa: B006 (mmdet default, never mutated)
                 iou_cost: dict = dict(type='IoUCost', iou_mode='giou', weight=1.0)):  # noqa: B006 (mmdet default, never mutated)
        self.cls_cost = build_match_cost(cls_cost)
        self.reg_cost = build_match_cost(reg_cost)
        self.iou_cost = build_match_cost(iou_cost)

    def assign(self, bbox_pred: Tensor, cls_pred: Tensor, gt_bboxes: Tensor, gt_labels: Tensor,
               img_meta: dict, gt_bboxes_ignore: Optional[Tensor] = None,
               eps: float = 1e-7) -> AssignResult:
        """Args: bbox_pred (Q, 4) normalised (cx, cy, w, h); cls_pred (Q, C) logits;
        gt_bboxes (G, 4) absolute (x1, y1, x2, y2); gt_labels (G,); img_meta with
        'img_shape' (H, W, C).

        Returns:
            AssignResult with ``max_overlaps`` None.
        """
        if gt_bboxes_ignore is not None:
            raise ValueError('HungarianAssigner does not support gt_bboxes_ignore')
        num_gts, num_bboxes = gt_bboxes.size(0), bbox_pred.size(0)
        gt_inds = bbox_pred.new_full((num_bboxes,), -1, dtype=torch.long)
        labels = bbox_pred.new_full((num_bboxes,), -1, dtype=torch.long)
        if num_gts == 0 or num_bboxes == 0:
            if num_gts == 0:
                gt_inds[:] = 0
            return AssignResult(num_gts, gt_inds, None, labels=labels)
        img_h, img_w = img_meta['img_shape'][:2]
        factor = gt_bboxes.new_tensor([img_w, img_h, img_w, img_h]).unsqueeze(0)
        cost = (self.cls_cost(cls_pred, gt_labels)
                + self.reg_cost(bbox_pred, gt_bboxes / factor)
                + self.iou_cost(bbox_cxcywh_to_xyxy(bbox_pred) * factor, gt_bboxes))
        rows, cols = linear_sum_assignment(cost.detach().cpu().numpy())
        rows = torch.from_numpy(rows).to(bbox_pred.device)
        cols = torch.from_numpy(cols).to(bbox_pred.device)
        gt_inds[:] = 0
        gt_inds[rows] = cols + 1
        labels[rows] = gt_labels[cols].long()
        return AssignResult(num_gts, gt_inds, None, labels=labels)
