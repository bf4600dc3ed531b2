"""``OHEMSampler``: online hard example mining (https://arxiv.org/abs/1604.03540)."""
from __future__ import annotations

from typing import Any, Optional

import torch
from torch import Tensor

from ....registry import BBOX_SAMPLERS
from ....structures import bbox2roi
from ..assigners.assign_result import AssignResult
from .base_sampler import BaseSampler, neg_indices, pos_indices


@BBOX_SAMPLERS.register_module()
class OHEMSampler(BaseSampler):
    """Keep the candidates of highest classification loss, computed by the RoI head
    ``context`` (its ``_bbox_forward`` and ``bbox_head.loss``) without gradients.

    Args:
        num (int). pos_fraction (float).
        context: the RoI head that owns this sampler (passed by the head's builder).
        neg_pos_ub (int). add_gt_as_proposals (bool).
        loss_key (str): the loss ranking the candidates. Default 'loss_cls'.
    """

    def __init__(self, num: int, pos_fraction: float, context: Any, neg_pos_ub: int = -1,
                 add_gt_as_proposals: bool = True, loss_key: str = 'loss_cls', **kwargs):
        super().__init__(num, pos_fraction, neg_pos_ub, add_gt_as_proposals)
        self.context = context
        if hasattr(context, 'num_stages'):  # cascade heads: the current stage's bbox head
            self.bbox_head = context.bbox_head[context.current_stage]
        else:
            self.bbox_head = context.bbox_head
        self.loss_key = loss_key

    def hard_mining(self, inds: Tensor, num_expected: int, bboxes: Tensor, labels: Tensor,
                    feats: Any) -> Tensor:
        """The ``num_expected`` of ``inds`` whose boxes (K, 4) have the largest loss."""
        with torch.no_grad():
            rois = bbox2roi([bboxes])
            if hasattr(self.context, 'num_stages'):
                results = self.context._bbox_forward(self.context.current_stage, feats, rois)
            else:
                results = self.context._bbox_forward(feats, rois)
            cls_score = results['cls_score']
            loss = self.bbox_head.loss(cls_score=cls_score, bbox_pred=None, rois=rois,
                                       labels=labels,
                                       label_weights=cls_score.new_ones(cls_score.size(0)),
                                       bbox_targets=None, bbox_weights=None,
                                       reduction_override='none')[self.loss_key]
            top = loss.topk(num_expected).indices
        return inds[top]

    def _sample_pos(self, assign_result: AssignResult, num_expected: int,
                    bboxes: Optional[Tensor] = None, feats: Any = None, **kwargs) -> Tensor:
        inds = pos_indices(assign_result)
        if inds.numel() <= num_expected:
            return inds
        return self.hard_mining(inds, num_expected, bboxes[inds], assign_result.labels[inds],
                                feats)

    def _sample_neg(self, assign_result: AssignResult, num_expected: int,
                    bboxes: Optional[Tensor] = None, feats: Any = None, **kwargs) -> Tensor:
        inds = neg_indices(assign_result)
        if inds.numel() <= num_expected:
            return inds
        labels = inds.new_full((inds.size(0),), self.bbox_head.num_classes)
        return self.hard_mining(inds, num_expected, bboxes[inds], labels, feats)
