"""``SimOTAAssigner`` of YOLOX (https://arxiv.org/abs/2107.08430)."""
from __future__ import annotations

import warnings
from typing import Optional

import torch
from torch import Tensor

from ....registry import BBOX_ASSIGNERS
from ..iou_calculators.iou2d_calculator import BboxOverlaps2D
from .assign_result import AssignResult
from .base_assigner import BaseAssigner, empty_result

INF = 100000.0


@BBOX_ASSIGNERS.register_module()
class SimOTAAssigner(BaseAssigner):
    """Simplified optimal-transport assignment with dynamic k.

    Candidates are priors whose centre is inside some gt or within
    ``center_radius`` strides of its centre. Cost(prior, gt) = cls_weight * BCE of
    sqrt(score) against the one-hot gt class + iou_weight * -ln(IoU) (+ INF unless the
    prior is inside both the gt and its centre region). Each gt takes its k cheapest
    candidates, k = max(1, int(sum of its ``candidate_topk`` best IoUs)); a prior
    taken by several gts keeps the cheapest.

    Args:
        center_radius (float): radius of the centre region, in strides. Default 2.5.
        candidate_topk (int): IoUs summed for dynamic k. Default 10.
        iou_weight (float): Default 3.0. cls_weight (float): Default 1.0.
    """

    def __init__(self, center_radius: float = 2.5, candidate_topk: int = 10,
                 iou_weight: float = 3.0, cls_weight: float = 1.0):
        self.center_radius = center_radius
        self.candidate_topk = candidate_topk
        self.iou_weight = iou_weight
        self.cls_weight = cls_weight
        self.iou_calculator = BboxOverlaps2D()

    def assign(self, pred_scores: Tensor, priors: Tensor, decoded_bboxes: Tensor,
               gt_bboxes: Tensor, gt_labels: Tensor, gt_bboxes_ignore: Optional[Tensor] = None,
               eps: float = 1e-7) -> AssignResult:
        """Assign gts to priors.

        Args:
            pred_scores (Tensor): (N, C) class scores (probabilities, e.g. cls * obj).
            priors (Tensor): (N, 4) as (cx, cy, stride_w, stride_h).
            decoded_bboxes (Tensor): (N, 4) predicted boxes.
            gt_bboxes (Tensor): (G, 4). gt_labels (Tensor): (G,).
            eps (float): inside the log of the IoU cost.

        Returns:
            AssignResult: ``max_overlaps`` holds the IoU of positives, -INF elsewhere.
        """
        try:
            return self._assign(pred_scores, priors, decoded_bboxes, gt_bboxes, gt_labels, eps)
        except torch.cuda.OutOfMemoryError:
            # a crowded image can exhaust GPU memory: redo it on CPU, as YOLOX does
            warnings.warn('SimOTAAssigner ran out of GPU memory; assigning on CPU', stacklevel=2)
            torch.cuda.empty_cache()
            device = priors.device
            result = self._assign(pred_scores.cpu().float(), priors.cpu().float(),
                                  decoded_bboxes.cpu().float(), gt_bboxes.cpu().float(),
                                  gt_labels.cpu(), eps)
            result.gt_inds = result.gt_inds.to(device)
            result.max_overlaps = result.max_overlaps.to(device)
            result.labels = result.labels.to(device)
            return result

    def _assign(self, pred_scores: Tensor, priors: Tensor, decoded_bboxes: Tensor,
                gt_bboxes: Tensor, gt_labels: Tensor, eps: float) -> AssignResult:
        num_gt, num_bboxes = gt_bboxes.size(0), decoded_bboxes.size(0)
        gt_inds = decoded_bboxes.new_zeros((num_bboxes,), dtype=torch.long)
        if num_gt == 0 or num_bboxes == 0:
            return empty_result(num_gt, num_bboxes, decoded_bboxes, gt_labels)
        valid_mask, in_boxes_and_center = self.get_in_gt_and_in_center_info(priors, gt_bboxes)
        num_valid = int(valid_mask.sum())
        if num_valid == 0:
            return empty_result(num_gt, num_bboxes, decoded_bboxes, gt_labels)
        valid_boxes = decoded_bboxes[valid_mask]
        valid_scores = pred_scores[valid_mask]
        ious = self.iou_calculator(valid_boxes, gt_bboxes)  # (V, G)
        iou_cost = -torch.log(ious + eps)
        cls_cost = self._cls_cost(valid_scores, gt_labels)
        cost = (cls_cost * self.cls_weight + iou_cost * self.iou_weight
                + (~in_boxes_and_center) * INF)
        matched_ious, matched_gt, fg = self.dynamic_k_matching(cost, ious, num_gt)
        valid_idx = valid_mask.nonzero().view(-1)[fg]
        gt_inds[valid_idx] = matched_gt + 1
        labels = gt_inds.new_full((num_bboxes,), -1)
        labels[valid_idx] = gt_labels[matched_gt].long()
        max_overlaps = gt_inds.new_full((num_bboxes,), -INF, dtype=torch.float32)
        max_overlaps[valid_idx] = matched_ious.float()
        return AssignResult(num_gt, gt_inds, max_overlaps, labels=labels)

    @staticmethod
    def _cls_cost(scores: Tensor, gt_labels: Tensor) -> Tensor:
        """(V, G) sum over classes of BCE(sqrt(score), one-hot of the gt's class).

        Equal to BCE on a (V, G, C) expansion, as YOLOX computes it, but the sum of the
        negative terms is shared by all gts, so only (V, C) and (V, G) tensors are built.
        Logs are clamped at -100 like ``F.binary_cross_entropy``.
        """
        q = scores.float().sqrt()
        log_q = torch.log(q).clamp(min=-100)
        log_1mq = torch.log(1 - q).clamp(min=-100)
        y = gt_labels.long()
        cost = -log_1mq.sum(-1, keepdim=True) + log_1mq[:, y] - log_q[:, y]
        return cost.to(scores.dtype)

    def get_in_gt_and_in_center_info(self, priors: Tensor, gt_bboxes: Tensor) -> tuple:
        """(N,) bool priors inside any gt or centre region, and (V, G) bool for those
        priors: inside both the gt and its centre region."""
        x, y = priors[:, 0:1], priors[:, 1:2]
        sx, sy = priors[:, 2:3], priors[:, 3:4]
        in_gts = torch.stack([x - gt_bboxes[:, 0], y - gt_bboxes[:, 1],
                              gt_bboxes[:, 2] - x, gt_bboxes[:, 3] - y], -1).min(-1).values > 0
        cx = (gt_bboxes[:, 0] + gt_bboxes[:, 2]) / 2.0
        cy = (gt_bboxes[:, 1] + gt_bboxes[:, 3]) / 2.0
        r = self.center_radius
        in_cts = torch.stack([x - (cx - r * sx), y - (cy - r * sy),
                              (cx + r * sx) - x, (cy + r * sy) - y], -1).min(-1).values > 0
        valid = in_gts.any(dim=1) | in_cts.any(dim=1)
        return valid, in_gts[valid] & in_cts[valid]

    def dynamic_k_matching(self, cost: Tensor, pairwise_ious: Tensor, num_gt: int) -> tuple:
        """Dynamic-k matching on (V, G) costs and IoUs.

        Returns:
            tuple: matched IoUs (F,), matched gt indices (F,), and the (V,) bool mask
            of the F matched candidates.
        """
        k_cand = min(self.candidate_topk, pairwise_ious.size(0))
        dynamic_ks = pairwise_ious.topk(k_cand, dim=0).values.sum(0).int().clamp(min=1)  # (G,)
        # rank of each candidate within its gt's column (0 = cheapest)
        order = cost.argsort(dim=0, stable=True)
        ranks = torch.empty_like(order)
        ranks.scatter_(0, order, torch.arange(cost.size(0), device=cost.device)[:, None]
                       .expand_as(order).contiguous())
        matching = ranks < dynamic_ks[None, :]
        multi = matching.sum(1) > 1
        if multi.any():
            cheapest = cost[multi].argmin(dim=1)
            matching[multi] = False
            matching[multi.nonzero().view(-1), cheapest] = True
        fg = matching.any(dim=1)
        matched_gt = matching[fg].float().argmax(dim=1)
        matched_ious = (matching * pairwise_ious).sum(1)[fg]
        return matched_ious, matched_gt, fg
