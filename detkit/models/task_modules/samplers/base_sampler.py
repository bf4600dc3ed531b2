"""Base class of samplers: pick positives and negatives from an assignment."""
from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Optional

import torch
from torch import Tensor

from ..assigners.assign_result import AssignResult
from .sampling_result import SamplingResult


def pos_indices(assign_result: AssignResult) -> Tensor:
    """(P,) indices of positive predictions (gt_inds > 0)."""
    return torch.nonzero(assign_result.gt_inds > 0).view(-1)


def neg_indices(assign_result: AssignResult) -> Tensor:
    """(M,) indices of negative predictions (gt_inds == 0)."""
    return torch.nonzero(assign_result.gt_inds == 0).view(-1)


class BaseSampler(metaclass=ABCMeta):
    """Samples ``num`` predictions, ``pos_fraction`` of them positive at most.

    Args:
        num (int): samples per image.
        pos_fraction (float): the share of positives.
        neg_pos_ub (int): at most neg_pos_ub negatives per positive; negative disables.
        add_gt_as_proposals (bool): prepend the gts to the candidates as positives.
    """

    def __init__(self, num: int, pos_fraction: float, neg_pos_ub: int = -1,
                 add_gt_as_proposals: bool = True, **kwargs):
        self.num = num
        self.pos_fraction = pos_fraction
        self.neg_pos_ub = neg_pos_ub
        self.add_gt_as_proposals = add_gt_as_proposals
        self.pos_sampler = self
        self.neg_sampler = self

    @abstractmethod
    def _sample_pos(self, assign_result: AssignResult, num_expected: int, **kwargs) -> Tensor:
        """Up to ``num_expected`` indices of positives."""

    @abstractmethod
    def _sample_neg(self, assign_result: AssignResult, num_expected: int, **kwargs) -> Tensor:
        """Up to ``num_expected`` indices of negatives."""

    def sample(self, assign_result: AssignResult, bboxes: Tensor, gt_bboxes: Tensor,
               gt_labels: Optional[Tensor] = None, **kwargs) -> SamplingResult:
        """Sample positives and negatives.

        Args:
            assign_result (AssignResult): of ``bboxes``; gts are prepended to it in
                place when ``add_gt_as_proposals``.
            bboxes (Tensor): (N, 4+) candidates.
            gt_bboxes (Tensor): (G, 4).
            gt_labels (Tensor, optional): (G,); needed with ``add_gt_as_proposals``.

        Returns:
            SamplingResult.
        """
        if bboxes.dim() < 2:
            bboxes = bboxes[None, :]
        bboxes = bboxes[:, :4]
        gt_flags = bboxes.new_zeros((bboxes.shape[0],), dtype=torch.uint8)
        if self.add_gt_as_proposals and len(gt_bboxes) > 0:
            if gt_labels is None:
                raise ValueError(f'{type(self).__name__}: gt_labels must be given when '
                                 f'add_gt_as_proposals is True')
            bboxes = torch.cat([gt_bboxes, bboxes], dim=0)
            assign_result.add_gt_(gt_labels)
            gt_flags = torch.cat([bboxes.new_ones(gt_bboxes.shape[0], dtype=torch.uint8),
                                  gt_flags])
        num_expected_pos = int(self.num * self.pos_fraction)
        pos_inds = self.pos_sampler._sample_pos(assign_result, num_expected_pos, bboxes=bboxes,
                                                **kwargs).unique()
        num_sampled_pos = pos_inds.numel()
        num_expected_neg = self.num - num_sampled_pos
        if self.neg_pos_ub >= 0:
            num_expected_neg = min(num_expected_neg, int(self.neg_pos_ub * max(1, num_sampled_pos)))
        neg_inds = self.neg_sampler._sample_neg(assign_result, num_expected_neg, bboxes=bboxes,
                                                **kwargs).unique()
        return SamplingResult(pos_inds, neg_inds, bboxes, gt_bboxes, assign_result, gt_flags)
