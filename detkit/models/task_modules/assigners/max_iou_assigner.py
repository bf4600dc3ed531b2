"""``MaxIoUAssigner``: the IoU-threshold assigner of R-CNN, RPN and RetinaNet."""
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
class MaxIoUAssigner(BaseAssigner):
    """Assign each box to the gt it overlaps most, by IoU thresholds.

    Each box gets -1 (ignored), 0 (negative) or k (positive, gt k - 1):

    1. every box starts as -1;
    2. boxes whose max IoU over all gts is in [0, neg_iou_thr) (or within the
       ``neg_iou_thr`` interval) become 0;
    3. boxes whose max IoU is >= pos_iou_thr go to that gt;
    4. (``match_low_quality``) each gt whose best IoU is >= min_pos_iou takes its
       best box(es), even below pos_iou_thr; later gts win ties between gts.

    Boxes overlapping an ignored gt by IoF > ignore_iof_thr get IoU -1 with every
    gt first, which keeps them out of steps 2-4 (they stay ignored).

    Args:
        pos_iou_thr (float): IoU for positives.
        neg_iou_thr (float | tuple[float, float]): IoU below which (or interval in
            which) boxes are negative.
        min_pos_iou (float): least IoU of a low-quality match.
        gt_max_assign_all (bool): in step 4 assign all boxes tied at the gt's best IoU.
        ignore_iof_thr (float): IoF with ``gt_bboxes_ignore`` above which boxes are
            ignored; negative disables.
        ignore_wrt_candidates (bool): IoF over the candidate box (True) or over the
            ignored gt (False).
        match_low_quality (bool): run step 4.
        gpu_assign_thr (int): with more gts than this, assign on CPU (saves GPU
            memory); negative disables.
        iou_calculator (dict): config of the IoU calculator.
    """

    def __init__(self, pos_iou_thr: float, neg_iou_thr: Union[float, tuple],
                 min_pos_iou: float = .0, gt_max_assign_all: bool = True,
                 ignore_iof_thr: float = -1, ignore_wrt_candidates: bool = True,
                 match_low_quality: bool = True, gpu_assign_thr: int = -1,
                 iou_calculator: dict = dict(type='BboxOverlaps2D')):  # noqa: B006 (mmdet default, never mutated)
        if not (isinstance(neg_iou_thr, Number)
                or (isinstance(neg_iou_thr, (tuple, list)) and len(neg_iou_thr) == 2)):
            raise ValueError(f'{type(self).__name__}: neg_iou_thr must be a float or a '
                             f'(low, high) pair, but got {neg_iou_thr!r}')
        self.pos_iou_thr = pos_iou_thr
        self.neg_iou_thr = neg_iou_thr
        self.min_pos_iou = min_pos_iou
        self.gt_max_assign_all = gt_max_assign_all
        self.ignore_iof_thr = ignore_iof_thr
        self.ignore_wrt_candidates = ignore_wrt_candidates
        self.gpu_assign_thr = gpu_assign_thr
        self.match_low_quality = match_low_quality
        self.iou_calculator = build_iou_calculator(iou_calculator)

    def _on_cpu(self, gt_bboxes: Tensor) -> bool:
        return self.gpu_assign_thr > 0 and gt_bboxes.shape[0] > self.gpu_assign_thr

    def _ignore_mask(self, candidates: Tensor,
                     gt_bboxes_ignore: Optional[Tensor]) -> Optional[Tensor]:
        """(N,) bool: candidates overlapping an ignored gt by IoF > ignore_iof_thr."""
        if not (self.ignore_iof_thr > 0 and gt_bboxes_ignore is not None
                and gt_bboxes_ignore.numel() > 0 and candidates.numel() > 0):
            return None
        if self.ignore_wrt_candidates:
            iof = self.iou_calculator(candidates, gt_bboxes_ignore, mode='iof').max(dim=1).values
        else:
            iof = self.iou_calculator(gt_bboxes_ignore, candidates, mode='iof').max(dim=0).values
        return iof > self.ignore_iof_thr

    def assign(self, bboxes: Tensor, gt_bboxes: Tensor, gt_bboxes_ignore: Optional[Tensor] = None,
               gt_labels: Optional[Tensor] = None) -> AssignResult:
        """Assign gts to boxes.

        Args:
            bboxes (Tensor): (N, 4) priors or proposals.
            gt_bboxes (Tensor): (G, 4).
            gt_bboxes_ignore (Tensor, optional): (I, 4) boxes to ignore.
            gt_labels (Tensor, optional): (G,).

        Returns:
            AssignResult: gt_inds, max_overlaps (N,), labels.
        """
        on_cpu = self._on_cpu(gt_bboxes)
        device = bboxes.device
        if on_cpu:
            bboxes, gt_bboxes = bboxes.cpu(), gt_bboxes.cpu()
            gt_bboxes_ignore = gt_bboxes_ignore.cpu() if gt_bboxes_ignore is not None else None
            gt_labels = gt_labels.cpu() if gt_labels is not None else None
        overlaps = self.iou_calculator(gt_bboxes, bboxes)
        ignore = self._ignore_mask(bboxes, gt_bboxes_ignore)
        if ignore is not None:
            overlaps[:, ignore] = -1
        result = self.assign_wrt_overlaps(overlaps, gt_labels)
        if on_cpu:
            result.gt_inds = result.gt_inds.to(device)
            result.max_overlaps = result.max_overlaps.to(device)
            if result.labels is not None:
                result.labels = result.labels.to(device)
        return result

    def assign_wrt_overlaps(self, overlaps: Tensor,
                            gt_labels: Optional[Tensor] = None) -> AssignResult:
        """Steps 1-4 on a (G, N) overlap matrix (-1 marks ignored boxes)."""
        num_gts, num_bboxes = overlaps.size(0), overlaps.size(1)
        if num_gts == 0 or num_bboxes == 0:
            return empty_result(num_gts, num_bboxes, overlaps, gt_labels, default_ind=-1)
        gt_inds = overlaps.new_full((num_bboxes,), -1, dtype=torch.long)
        max_overlaps, argmax_overlaps = overlaps.max(dim=0)
        gt_max_overlaps = overlaps.max(dim=1).values
        # 2. negatives
        if isinstance(self.neg_iou_thr, Number):
            gt_inds[(max_overlaps >= 0) & (max_overlaps < self.neg_iou_thr)] = 0
        else:
            low, high = self.neg_iou_thr
            gt_inds[(max_overlaps >= low) & (max_overlaps < high)] = 0
        # 3. positives
        pos = max_overlaps >= self.pos_iou_thr
        gt_inds[pos] = argmax_overlaps[pos] + 1
        # 4. low-quality matches: every gt keeps its best box(es)
        if self.match_low_quality:
            gt_ok = (gt_max_overlaps >= self.min_pos_iou)[:, None]
            if self.gt_max_assign_all:
                best = overlaps == gt_max_overlaps[:, None]
            else:
                # only the first best box of each gt (what argmax returns)
                first = overlaps.argmax(dim=1)
                best = torch.zeros_like(overlaps, dtype=torch.bool)
                best[torch.arange(num_gts, device=overlaps.device), first] = True
            winner = last_true_gt(best & gt_ok)
            gt_inds = torch.where(winner > 0, winner, gt_inds)
        return AssignResult(num_gts, gt_inds, max_overlaps, labels=labels_of(gt_inds, gt_labels))
