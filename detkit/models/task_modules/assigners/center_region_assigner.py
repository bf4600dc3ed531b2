"""``CenterRegionAssigner`` of FSAF: positives in a gt's core region, ignores in its shadow."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from ....registry import BBOX_ASSIGNERS
from ..builder import build_iou_calculator
from .assign_result import AssignResult
from .base_assigner import BaseAssigner, labels_of


def scale_boxes(bboxes: Tensor, scale: float) -> Tensor:
    """(N, 4) boxes scaled by ``scale`` about their centres."""
    cxy = (bboxes[:, :2] + bboxes[:, 2:]) * .5
    half = (bboxes[:, 2:] - bboxes[:, :2]) * .5 * scale
    return torch.cat([cxy - half, cxy + half], dim=1)


def is_located_in(points: Tensor, bboxes: Tensor) -> Tensor:
    """(P, G) bool: point p strictly inside box g. points (P, 2), bboxes (G, 4)."""
    x, y = points[:, 0:1], points[:, 1:2]
    return (x > bboxes[:, 0]) & (x < bboxes[:, 2]) & (y > bboxes[:, 1]) & (y < bboxes[:, 3])


def bboxes_area(bboxes: Tensor) -> Tensor:
    """(N,) areas of (N, 4) boxes."""
    return (bboxes[:, 2] - bboxes[:, 0]) * (bboxes[:, 3] - bboxes[:, 1])


@BBOX_ASSIGNERS.register_module()
class CenterRegionAssigner(BaseAssigner):
    """A prior is positive for a gt when its centre is inside the gt and it overlaps the
    gt's core (the gt scaled by ``pos_scale``) by IoF > ``min_pos_iof``; when several gts
    claim it, the smallest gt wins. Priors overlapping a gt's shadow (scaled by
    ``neg_scale``) but not its core are listed in the ``shadowed_labels`` extra property
    as (prior index, label) pairs, so the head can ignore that class there.

    Args:
        pos_scale (float): core region scale. neg_scale (float): shadow region scale.
        min_pos_iof (float): least IoF with the core / shadow. Default 0.01.
        ignore_gt_scale (float): scale of ``gt_bboxes_ignore`` regions. Default 0.5.
        foreground_dominate (bool): kept for config compatibility (unused, as in
            MMDetection).
        iou_calculator (dict).
    """

    def __init__(self, pos_scale: float, neg_scale: float, min_pos_iof: float = 1e-2,
                 ignore_gt_scale: float = 0.5, foreground_dominate: bool = False,
                 iou_calculator: dict = dict(type='BboxOverlaps2D')):  # noqa: B006 (mmdet default, never mutated)
        self.pos_scale = pos_scale
        self.neg_scale = neg_scale
        self.min_pos_iof = min_pos_iof
        self.ignore_gt_scale = ignore_gt_scale
        self.foreground_dominate = foreground_dominate
        self.iou_calculator = build_iou_calculator(iou_calculator)

    def get_gt_priorities(self, gt_bboxes: Tensor) -> Tensor:
        """(G,) priority of each gt: the smaller its area, the higher."""
        order = bboxes_area(gt_bboxes).sort(descending=True).indices
        return order.argsort()

    def assign(self, bboxes: Tensor, gt_bboxes: Tensor, gt_bboxes_ignore: Optional[Tensor] = None,
               gt_labels: Optional[Tensor] = None) -> AssignResult:
        """Args: bboxes (N, 4) priors; gt_bboxes (G, 4); gt_bboxes_ignore (I, 4);
        gt_labels (G,).

        Returns:
            AssignResult with ``max_overlaps`` None and the extra property
            ``shadowed_labels``: (S, 2) int64 (prior index, label or -1), or None
            without labels.
        """
        if bboxes.size(1) != 4:
            raise ValueError(f'CenterRegionAssigner: bboxes must be (N, 4), got '
                             f'{tuple(bboxes.shape)}')
        num_gts, num_bboxes = gt_bboxes.size(0), bboxes.size(0)
        centers = (bboxes[:, 2:4] + bboxes[:, 0:2]) / 2
        if num_gts == 0 or num_bboxes == 0:
            gt_inds = bboxes.new_zeros((num_bboxes,), dtype=torch.long)
            shadowed = gt_inds.new_empty((0, 2))
        else:
            in_gt = is_located_in(centers, gt_bboxes)
            core_iof = self.iou_calculator(bboxes, scale_boxes(gt_bboxes, self.pos_scale),
                                           mode='iof')
            in_core = in_gt & (core_iof > self.min_pos_iof)
            in_shadow = self.iou_calculator(bboxes, scale_boxes(gt_bboxes, self.neg_scale),
                                            mode='iof') > self.min_pos_iof
            in_shadow &= ~in_core
            gt_inds, shadowed = self.assign_one_hot_gt_indices(
                in_core, in_shadow, gt_priority=self.get_gt_priorities(gt_bboxes))
        if gt_bboxes_ignore is not None and gt_bboxes_ignore.numel() > 0:
            ignore_regions = scale_boxes(gt_bboxes_ignore, self.ignore_gt_scale)
            gt_inds[is_located_in(centers, ignore_regions).any(dim=1)] = -1
        labels = labels_of(gt_inds, gt_labels)
        shadowed_labels = None
        if gt_labels is not None:
            shadowed_labels = shadowed.clone()
            if shadowed.numel() > 0:
                pixel_idx, gt_idx = shadowed[:, 0], shadowed[:, 1]
                shadowed_labels[:, 1] = gt_labels[gt_idx - 1]
                # a prior positive for the same class elsewhere is not shadowed
                same = labels[pixel_idx] == shadowed_labels[:, 1]
                shadowed_labels[same, 1] = -1
        result = AssignResult(num_gts, gt_inds, None, labels=labels)
        result.set_extra_property('shadowed_labels', shadowed_labels)
        return result

    def assign_one_hot_gt_indices(self, is_bbox_in_gt_core: Tensor, is_bbox_in_gt_shadow: Tensor,
                                  gt_priority: Optional[Tensor] = None) -> tuple:
        """Resolve priors claimed by several cores by ``gt_priority`` (higher wins).

        Args:
            is_bbox_in_gt_core, is_bbox_in_gt_shadow (Tensor): (N, G) bool.
            gt_priority (Tensor, optional): (G,); default: later gts win.

        Returns:
            tuple: gt_inds (N,) 1-based (0 background); shadowed (S, 2) pairs of (prior
            index, 1-based gt index) for shadows and for cores that lost to another gt.
        """
        num_bboxes, num_gts = is_bbox_in_gt_core.shape
        if gt_priority is None:
            gt_priority = torch.arange(num_gts, device=is_bbox_in_gt_core.device)
        gt_inds = is_bbox_in_gt_core.new_zeros((num_bboxes,), dtype=torch.long)
        shadowed = torch.nonzero(is_bbox_in_gt_shadow)
        matched = is_bbox_in_gt_core.any(dim=1)
        if matched.any():
            priority = torch.where(is_bbox_in_gt_core, gt_priority[None, :].expand(num_bboxes, -1),
                                   torch.full_like(gt_priority[None, :].expand(num_bboxes, -1), -1))
            winner = priority[matched].argmax(dim=1)
            gt_inds[matched] = winner + 1
            losers = is_bbox_in_gt_core.clone()
            losers[matched.nonzero().view(-1), winner] = False
            shadowed = torch.cat([shadowed, torch.nonzero(losers)], dim=0)
        if shadowed.numel() > 0:
            shadowed[:, 1] += 1
        return gt_inds, shadowed
