"""``InstanceBalancedPosSampler``: positives spread evenly over the gt instances."""
from __future__ import annotations

import torch
from torch import Tensor

from ....registry import BBOX_SAMPLERS
from ..assigners.assign_result import AssignResult
from .base_sampler import pos_indices
from .random_sampler import RandomSampler


@BBOX_SAMPLERS.register_module()
class InstanceBalancedPosSampler(RandomSampler):
    """Each gt contributes at most round(num_expected / num_gts) + 1 random positives;
    the rest is filled at random from the remaining positives. Arguments as
    :class:`RandomSampler`."""

    def _sample_pos(self, assign_result: AssignResult, num_expected: int, **kwargs) -> Tensor:
        pos = pos_indices(assign_result)
        if pos.numel() <= num_expected:
            return pos
        gt_of = assign_result.gt_inds[pos]
        num_gts = gt_of.unique().numel()
        num_per_gt = int(round(num_expected / float(num_gts)) + 1)
        # a random rank within each gt's positives: sort by (gt, random key)
        keys = torch.rand(pos.numel(), generator=self.generator).to(pos.device)
        order = torch.argsort(keys)
        order = order[torch.argsort(gt_of[order], stable=True)]
        sorted_gt = gt_of[order]
        first = torch.searchsorted(sorted_gt, sorted_gt)  # index of each group's first row
        rank = torch.arange(pos.numel(), device=pos.device) - first
        kept = torch.zeros(pos.numel(), dtype=torch.bool, device=pos.device)
        kept[order[rank < num_per_gt]] = True
        sampled = pos[kept]
        if sampled.numel() < num_expected:
            extra = pos[~kept]
            if extra.numel() > num_expected - sampled.numel():
                extra = self.random_choice(extra, num_expected - sampled.numel())
            sampled = torch.cat([sampled, extra])
        elif sampled.numel() > num_expected:
            sampled = self.random_choice(sampled, num_expected)
        return sampled
