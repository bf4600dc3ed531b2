"""Generalized Focal Loss (https://arxiv.org/abs/2006.04388): Quality FL and Distribution FL."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ...registry import LOSSES
from .utils import check_reduction, resolve_reduction, weighted_loss


def _qfl(pred: Tensor, target: tuple, beta: float, activated: bool) -> Tensor:
    if len(target) != 2:
        raise ValueError('quality_focal_loss: target must be a (labels, scores) pair')
    label, score = target
    prob = pred if activated else pred.sigmoid()
    bce = F.binary_cross_entropy if activated else F.binary_cross_entropy_with_logits
    # every class is first a negative with quality target 0 ...
    loss = bce(pred, torch.zeros_like(pred), reduction='none') * prob.pow(beta)
    # ... then the positive's own class is replaced by BCE against its IoU score
    num_classes = pred.size(1)
    pos = torch.nonzero((label >= 0) & (label < num_classes)).squeeze(1)
    pos_label = label[pos].long()
    pos_score = score[pos].to(pred.dtype)
    scale = (pos_score - prob[pos, pos_label]).abs().pow(beta)
    loss = loss.clone()
    loss[pos, pos_label] = bce(pred[pos, pos_label], pos_score, reduction='none') * scale
    return loss.sum(dim=1)


@weighted_loss
def quality_focal_loss(pred: Tensor, target: tuple, beta: float = 2.0) -> Tensor:
    """QFL on logits.

    Args:
        pred (Tensor): (N, C) joint class-quality logits.
        target (tuple[Tensor]): labels (N,) in [0, C] (C = background) and quality
            scores (N,) in [0, 1].

    Returns:
        Tensor: (N,).
    """
    return _qfl(pred, target, beta, activated=False)


@weighted_loss
def quality_focal_loss_with_prob(pred: Tensor, target: tuple, beta: float = 2.0) -> Tensor:
    """QFL on probabilities (``activated=True``); shapes as :func:`quality_focal_loss`."""
    return _qfl(pred, target, beta, activated=True)


@weighted_loss
def distribution_focal_loss(pred: Tensor, label: Tensor) -> Tensor:
    """DFL: CE to the two integers around a continuous target, linearly weighted.

    Args:
        pred (Tensor): (N, n + 1) logits of the distribution over {0, ..., n}.
        label (Tensor): (N,) continuous targets in [0, n).

    Returns:
        Tensor: (N,).
    """
    left = label.long()
    right = left + 1
    w_left = right.float() - label
    w_right = label - left.float()
    return (F.cross_entropy(pred, left, reduction='none') * w_left
            + F.cross_entropy(pred, right, reduction='none') * w_right)


@LOSSES.register_module()
class QualityFocalLoss(nn.Module):
    """Quality Focal Loss.

    Args:
        use_sigmoid (bool): must be True. beta (float): modulating exponent. Default 2.0.
        reduction (str). loss_weight (float). activated (bool): ``pred`` are probabilities.
    """

    def __init__(self, use_sigmoid: bool = True, beta: float = 2.0, reduction: str = 'mean',
                 loss_weight: float = 1.0, activated: bool = False):
        super().__init__()
        if use_sigmoid is not True:
            raise ValueError('QualityFocalLoss supports only use_sigmoid=True')
        check_reduction(reduction)
        self.use_sigmoid = use_sigmoid
        self.beta = beta
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.activated = activated

    def forward(self, pred: Tensor, target: tuple, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Args: pred (N, C); target (labels (N,), scores (N,)); weight (N,)."""
        reduction = resolve_reduction(reduction_override, self.reduction)
        fn = quality_focal_loss_with_prob if self.activated else quality_focal_loss
        return self.loss_weight * fn(pred, target, weight, beta=self.beta, reduction=reduction,
                                     avg_factor=avg_factor)


@LOSSES.register_module()
class DistributionFocalLoss(nn.Module):
    """Distribution Focal Loss. Args: reduction (str); loss_weight (float)."""

    def __init__(self, reduction: str = 'mean', loss_weight: float = 1.0):
        super().__init__()
        check_reduction(reduction)
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self, pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Args: pred (N, n + 1) logits; target (N,) in [0, n); weight (N,)."""
        reduction = resolve_reduction(reduction_override, self.reduction)
        return self.loss_weight * distribution_focal_loss(pred, target, weight,
                                                          reduction=reduction,
                                                          avg_factor=avg_factor)
