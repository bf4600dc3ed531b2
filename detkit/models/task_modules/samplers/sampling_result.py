"""``SamplingResult``: the positives and negatives a sampler picked, with their targets."""
from __future__ import annotations

from typing import Union

import numpy as np
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

    @classmethod
    def random(cls, rng: Union[None, int, np.random.RandomState] = None,
               **kwargs) -> SamplingResult:
        """A random SamplingResult (random boxes, a random assignment, RandomSampler), for
        tests and debugging.

        Args:
            rng (int | numpy.random.RandomState, optional): seed or state.
            **kwargs: ``num_preds``, ``num_gts``, ``p_ignore``, ``p_assigned``,
                ``p_use_label`` of :meth:`AssignResult.random`; ``num``,
                ``pos_fraction``, ``neg_pos_ub``, ``add_gt_as_proposals`` of the sampler.
        """
        from .random_sampler import RandomSampler
        rng = rng if isinstance(rng, np.random.RandomState) else np.random.RandomState(rng)
        sampler_keys = ('num', 'pos_fraction', 'neg_pos_ub', 'add_gt_as_proposals')
        sampler_args = {k: kwargs.pop(k) for k in sampler_keys if k in kwargs}
        assign_result = AssignResult.random(rng=rng, **kwargs)

        def boxes(n: int) -> Tensor:
            xy = rng.rand(n, 2) * 100
            return torch.from_numpy(np.concatenate([xy, xy + 1 + rng.rand(n, 2) * 50], 1)).float()

        bboxes = boxes(assign_result.num_preds)
        gt_bboxes = boxes(assign_result.num_gts)
        gt_labels = None
        if assign_result.labels is not None or sampler_args.get('add_gt_as_proposals'):
            gt_labels = torch.from_numpy(rng.randint(0, 3, size=assign_result.num_gts)).long()
        sampler_args.setdefault('num', 32)
        sampler_args.setdefault('pos_fraction', 0.5)
        sampler_args.setdefault('add_gt_as_proposals', gt_labels is not None
                                and bool(rng.rand() > 0.5))
        sampler = RandomSampler(rng=int(rng.randint(0, 2 ** 31 - 1)), **sampler_args)
        return sampler.sample(assign_result, bboxes, gt_bboxes, gt_labels)

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
