"""``SamplingResult``: the positives and negatives a sampler picked, with their targets."""
from __future__ import annotations

from typing import Union

import torch
from torch import Tensor

from ..assigners.assign_result import AssignResult


class SamplingResult:
    """Sampled predictions and their targets.

    Args:
        pos_inds (Tensor): (P,) indices of positives into ``bboxes``.
        neg_inds (Tensor): (M,) indices of negatives.
        bboxes (Tensor): (N, 4) all candidates (gts first when they were added).
        gt_bboxes (Tensor): (G, 4).
        assign_result (AssignResult): the assignment of ``bboxes``.
        gt_flags (Tensor): (N,) uint8, 1 for candidates that are gts.

    Attributes: pos_bboxes (P, 4), neg_bboxes (M, 4), pos_is_gt (P,),
    pos_assigned_gt_inds (P,) 0-based, pos_gt_bboxes (P, 4), pos_gt_labels (P,) or None,
    num_gts.
    """

    def __init__(self, pos_inds: Tensor, neg_inds: Tensor, bboxes: Tensor, gt_bboxes: Tensor,
                 assign_result: AssignResult, gt_flags: Tensor):
        self.pos_inds = pos_inds
        self.neg_inds = neg_inds
        self.pos_bboxes = bboxes[pos_inds]
        self.neg_bboxes = bboxes[neg_inds]
        self.pos_is_gt = gt_flags[pos_inds]
        self.num_gts = gt_bboxes.shape[0]
        self.pos_assigned_gt_inds = assign_result.gt_inds[pos_inds] - 1
        if gt_bboxes.numel() == 0:
            if self.pos_assigned_gt_inds.numel() != 0:
                raise ValueError('SamplingResult: positives assigned while there are no gts')
            self.pos_gt_bboxes = torch.empty_like(gt_bboxes).view(-1, 4)
        else:
            gt_bboxes = gt_bboxes.view(-1, gt_bboxes.size(-1)) if gt_bboxes.dim() < 2 else gt_bboxes
            self.pos_gt_bboxes = gt_bboxes[self.pos_assigned_gt_inds.long(), :]
        self.pos_gt_labels = (assign_result.labels[pos_inds]
                              if assign_result.labels is not None else None)

    @property
    def bboxes(self) -> Tensor:
        """(P + M, 4): positives then negatives."""
        return torch.cat([self.pos_bboxes, self.neg_bboxes])

    def to(self, device: Union[str, torch.device]) -> SamplingResult:
        """Move every tensor attribute to ``device`` (in place); returns self."""
        for key, value in vars(self).items():
            if isinstance(value, Tensor):
                setattr(self, key, value.to(device))
        return self

    @property
    def info(self) -> dict:
        """dict: the main fields."""
        return dict(pos_inds=self.pos_inds, neg_inds=self.neg_inds, pos_bboxes=self.pos_bboxes,
                    neg_bboxes=self.neg_bboxes, pos_is_gt=self.pos_is_gt, num_gts=self.num_gts,
                    pos_assigned_gt_inds=self.pos_assigned_gt_inds)

    def __repr__(self) -> str:
        return (f'<SamplingResult(num_pos={len(self.pos_inds)}, num_neg={len(self.neg_inds)}, '
                f'num_gts={self.num_gts})>')
