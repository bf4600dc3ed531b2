"""``PointAssigner`` of RepPoints: each gt takes the ``pos_num`` nearest points of its level."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from ....registry import BBOX_ASSIGNERS
from .assign_result import AssignResult
from .base_assigner import BaseAssigner, labels_of


@BBOX_ASSIGNERS.register_module()
class PointAssigner(BaseAssigner):
    """A gt of size (w, h) lives on level round-down(mean(log2(w / scale), log2(h / scale))),
    clamped to the available levels; it takes the ``pos_num`` points of that level
    nearest to its centre (distance normalised by (w, h)). A point claimed by several
    gts goes to the nearest one (the earlier gt on ties). Others are negative.

    Args:
        scale (float): gt size mapped to the level of stride 1. Default 4.
        pos_num (int): points per gt. Default 3.
    """

    def __init__(self, scale: float = 4, pos_num: int = 3):
        self.scale = scale
        self.pos_num = pos_num

    def assign(self, points: Tensor, gt_bboxes: Tensor, gt_bboxes_ignore: Optional[Tensor] = None,
               gt_labels: Optional[Tensor] = None) -> AssignResult:
        """Args: points (P, 3) as (x, y, stride); gt_bboxes (G, 4); gt_labels (G,).

        Returns:
            AssignResult with ``max_overlaps`` None.
        """
        num_points, num_gts = points.shape[0], gt_bboxes.shape[0]
        if num_gts == 0 or num_points == 0:
            gt_inds = points.new_zeros((num_points,), dtype=torch.long)
            labels = None if gt_labels is None else points.new_full((num_points,), -1,
                                                                    dtype=torch.long)
            return AssignResult(num_gts, gt_inds, None, labels=labels)
        points_xy = points[:, :2]
        points_lvl = torch.log2(points[:, 2]).int()
        gt_xy = (gt_bboxes[:, :2] + gt_bboxes[:, 2:]) / 2
        gt_wh = (gt_bboxes[:, 2:] - gt_bboxes[:, :2]).clamp(min=1e-6)
        gt_lvl = ((torch.log2(gt_wh[:, 0] / self.scale) + torch.log2(gt_wh[:, 1] / self.scale))
                  / 2).int().clamp(min=points_lvl.min(), max=points_lvl.max())
        # (G, P) normalised distances; points of other levels are out of reach
        dist = ((points_xy[None, :, :] - gt_xy[:, None, :]) / gt_wh[:, None, :]).norm(dim=-1)
        dist = torch.where(gt_lvl[:, None] == points_lvl[None, :], dist,
                           dist.new_tensor(float('inf')))
        k = min(self.pos_num, num_points)
        near_dist, near_idx = dist.topk(k, dim=1, largest=False)
        chosen = torch.full_like(dist, float('inf'))
        chosen.scatter_(1, near_idx, near_dist)
        best_dist, best_gt = chosen.min(dim=0)  # the first (earliest) gt on ties
        gt_inds = torch.where(torch.isfinite(best_dist), best_gt + 1,
                              torch.zeros_like(best_gt))
        return AssignResult(num_gts, gt_inds, None, labels=labels_of(gt_inds, gt_labels))
