"""``CombinedSampler``: one sampler for positives and another for negatives (Libra R-CNN)."""
from __future__ import annotations

from torch import Tensor

from ....registry import BBOX_SAMPLERS
from ..assigners.assign_result import AssignResult
from ..builder import build_sampler
from .base_sampler import BaseSampler


@BBOX_SAMPLERS.register_module()
class CombinedSampler(BaseSampler):
    """Positives from ``pos_sampler``, negatives from ``neg_sampler``.

    Args:
        pos_sampler (dict): a BBOX_SAMPLERS config; ``num``, ``pos_fraction``, ... of
            this sampler are passed to it.
        neg_sampler (dict): likewise for negatives.
        num, pos_fraction, neg_pos_ub, add_gt_as_proposals: see :class:`BaseSampler`.

    Example:
        >>> cfg = dict(type='CombinedSampler', num=512, pos_fraction=0.25,
        ...            add_gt_as_proposals=True,
        ...            pos_sampler=dict(type='InstanceBalancedPosSampler'),
        ...            neg_sampler=dict(type='IoUBalancedNegSampler', floor_thr=-1,
        ...                             floor_fraction=0, num_bins=3))
    """

    def __init__(self, pos_sampler: dict, neg_sampler: dict, **kwargs):
        super().__init__(**kwargs)
        self.pos_sampler = build_sampler(pos_sampler, **kwargs)
        self.neg_sampler = build_sampler(neg_sampler, **kwargs)

    def _sample_pos(self, assign_result: AssignResult, num_expected: int, **kwargs) -> Tensor:
        return self.pos_sampler._sample_pos(assign_result, num_expected, **kwargs)

    def _sample_neg(self, assign_result: AssignResult, num_expected: int, **kwargs) -> Tensor:
        return self.neg_sampler._sample_neg(assign_result, num_expected, **kwargs)
