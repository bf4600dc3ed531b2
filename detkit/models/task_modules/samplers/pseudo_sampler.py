"""``PseudoSampler``: takes every positive and negative (for heads with their own balance)."""
from __future__ import annotations

import torch
from torch import Tensor

from ....registry import BBOX_SAMPLERS
from ..assigners.assign_result import AssignResult
from .base_sampler import BaseSampler, neg_indices, pos_indices
from .sampling_result import SamplingResult


@BBOX_SAMPLERS.register_module()
class PseudoSampler(BaseSampler):
    """Returns all positives and negatives of the assignment; adds no gts."""

    def __init__(self, **kwargs):
        super().__init__(num=0, pos_fraction=0., add_gt_as_proposals=False)

    def _sample_pos(self, assign_result: AssignResult, num_expected: int = -1, **kwargs) -> Tensor:
        return pos_indices(assign_result)

    def _sample_neg(self, assign_result: AssignResult, num_expected: int = -1, **kwargs) -> Tensor:
        return neg_indices(assign_result)

    def sample(self, assign_result: AssignResult, bboxes: Tensor, gt_bboxes: Tensor,
               *args, **kwargs) -> SamplingResult:
        """Args: assign_result; bboxes (N, 4); gt_bboxes (G, 4). Returns SamplingResult."""
        pos_inds = pos_indices(assign_result).unique()
        neg_inds = neg_indices(assign_result).unique()
        gt_flags = bboxes.new_zeros(bboxes.shape[0], dtype=torch.uint8)
        return SamplingResult(pos_inds, neg_inds, bboxes, gt_bboxes, assign_result, gt_flags)
