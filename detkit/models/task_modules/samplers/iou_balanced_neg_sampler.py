"""``IoUBalancedNegSampler`` of Libra R-CNN: negatives spread evenly over IoU bins."""
from __future__ import annotations

import torch
from torch import Tensor

from ....registry import BBOX_SAMPLERS
from ..assigners.assign_result import AssignResult
from .base_sampler import neg_indices
from .random_sampler import RandomSampler


@BBOX_SAMPLERS.register_module()
class IoUBalancedNegSampler(RandomSampler):
    """Negatives with max IoU >= ``floor_thr`` are sampled evenly from ``num_bins``
    equal IoU intervals (``1 - floor_fraction`` of them); the rest come at random from
    those below ``floor_thr``; any shortfall is filled at random.

    Args:
        num (int). pos_fraction (float).
        floor_thr (float): -1 (no floor: all negatives are IoU-sampled) or >= 0.
        floor_fraction (float): share of negatives from below the floor, in [0, 1].
        num_bins (int): IoU intervals, >= 1.
        Others as :class:`RandomSampler`.
    """

    def __init__(self, num: int, pos_fraction: float, floor_thr: float = -1,
                 floor_fraction: float = 0, num_bins: int = 3, **kwargs):
        super().__init__(num, pos_fraction, **kwargs)
        if not (floor_thr >= 0 or floor_thr == -1):
            raise ValueError(f'IoUBalancedNegSampler: floor_thr must be -1 or >= 0, '
                             f'got {floor_thr}')
        if not 0 <= floor_fraction <= 1:
            raise ValueError(f'IoUBalancedNegSampler: floor_fraction must be in [0, 1], '
                             f'got {floor_fraction}')
        if num_bins < 1:
            raise ValueError(f'IoUBalancedNegSampler: num_bins must be >= 1, got {num_bins}')
        self.floor_thr = floor_thr
        self.floor_fraction = floor_fraction
        self.num_bins = num_bins

    def _pick(self, mask: Tensor, num: int) -> Tensor:
        inds = torch.nonzero(mask).view(-1)
        return inds if inds.numel() <= num else self.random_choice(inds, num)

    def sample_via_interval(self, max_overlaps: Tensor, candidates: Tensor, num_expected: int,
                            floor_thr: float) -> Tensor:
        """``num_expected`` indices among ``candidates`` (N,) bool, evenly per IoU bin
        over [floor_thr, max IoU), the shortfall filled at random."""
        max_iou = max_overlaps.max()
        interval = (max_iou - floor_thr) / self.num_bins
        per_bin = int(num_expected / self.num_bins)
        picked = []
        for i in range(self.num_bins):  # a handful of bins, not boxes
            lo, hi = floor_thr + i * interval, floor_thr + (i + 1) * interval
            picked.append(self._pick(candidates & (max_overlaps >= lo) & (max_overlaps < hi),
                                     per_bin))
        sampled = torch.cat(picked)
        if sampled.numel() < num_expected:
            rest = candidates.clone()
            rest[sampled] = False
            sampled = torch.cat([sampled, self._pick(rest, num_expected - sampled.numel())])
        return sampled

    def _sample_neg(self, assign_result: AssignResult, num_expected: int, **kwargs) -> Tensor:
        neg = neg_indices(assign_result)
        if neg.numel() <= num_expected:
            return neg
        max_overlaps = assign_result.max_overlaps
        is_neg = assign_result.gt_inds == 0
        # MMDetection also overwrites floor_thr = -1 with 0 after the first call, which
        # changes later calls; here every call uses the configured value
        if self.floor_thr > 0:
            floor = (max_overlaps >= 0) & (max_overlaps < self.floor_thr)
            iou_set = max_overlaps >= self.floor_thr
            floor_thr = self.floor_thr
        elif self.floor_thr == 0:
            floor = max_overlaps == 0
            iou_set = max_overlaps > 0
            floor_thr = 0
        else:
            floor = torch.zeros_like(is_neg)
            iou_set = max_overlaps > -1
            floor_thr = 0
        floor &= is_neg
        iou_set &= is_neg
        num_iou = int(num_expected * (1 - self.floor_fraction))
        if int(iou_set.sum()) > num_iou:
            if self.num_bins >= 2:
                iou_sampled = self.sample_via_interval(max_overlaps, iou_set, num_iou, floor_thr)
            else:
                iou_sampled = self._pick(iou_set, num_iou)
        else:
            iou_sampled = torch.nonzero(iou_set).view(-1)
        floor_sampled = self._pick(floor, num_expected - iou_sampled.numel())
        sampled = torch.cat([floor_sampled, iou_sampled])
        if sampled.numel() < num_expected:
            rest = is_neg.clone()
            rest[sampled] = False
            sampled = torch.cat([sampled, self._pick(rest, num_expected - sampled.numel())])
        return sampled
