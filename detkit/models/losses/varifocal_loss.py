"""Varifocal loss (VarifocalNet, https://arxiv.org/abs/2008.13367)."""
from __future__ import annotations

from typing import Optional

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ...registry import LOSSES
from .utils import check_reduction, resolve_reduction, weight_reduce_loss


def varifocal_loss(pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                   alpha: float = 0.75, gamma: float = 2.0, iou_weighted: bool = True,
                   reduction: str = 'mean', avg_factor: Optional[float] = None) -> Tensor:
    """Varifocal loss: positives (target q > 0) weighted by q (or 1), negatives by
    alpha * |p - q|^gamma.

    Args:
        pred (Tensor): (N, C) logits.
        target (Tensor): (N, C) IoU-aware targets (IoU at the gt class, 0 elsewhere).
        weight (Tensor, optional): broadcastable to (N, C).

    Returns:
        Tensor: scalar, or (N, C) for 'none'.
    """
    if pred.shape != target.shape:
        raise ValueError(f'varifocal_loss: pred {tuple(pred.shape)} and target '
                         f'{tuple(target.shape)} must have the same shape')
    prob = pred.sigmoid()
    target = target.type_as(pred)
    pos = (target > 0.0).type_as(pred)
    neg_term = alpha * (prob - target).abs().pow(gamma) * (1 - pos)
    focal_weight = (target * pos if iou_weighted else pos) + neg_term
    loss = F.binary_cross_entropy_with_logits(pred, target, reduction='none') * focal_weight
    return weight_reduce_loss(loss, weight, reduction, avg_factor)


@LOSSES.register_module()
class VarifocalLoss(nn.Module):
    """Varifocal loss.

    Args:
        use_sigmoid (bool): must be True. alpha (float): >= 0, negative weight. Default 0.75.
        gamma (float): Default 2.0. iou_weighted (bool): weight positives by their IoU target.
        reduction (str). loss_weight (float).
    """

    def __init__(self, use_sigmoid: bool = True, alpha: float = 0.75, gamma: float = 2.0,
                 iou_weighted: bool = True, reduction: str = 'mean', loss_weight: float = 1.0):
        super().__init__()
        if use_sigmoid is not True:
            raise ValueError('VarifocalLoss supports only use_sigmoid=True')
        if alpha < 0:
            raise ValueError(f'VarifocalLoss: alpha must be >= 0, but got {alpha}')
        check_reduction(reduction)
        self.use_sigmoid = use_sigmoid
        self.alpha = alpha
        self.gamma = gamma
        self.iou_weighted = iou_weighted
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self, pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Args: pred, target (N, C); weight broadcastable to (N, C)."""
        reduction = resolve_reduction(reduction_override, self.reduction)
        return self.loss_weight * varifocal_loss(pred, target, weight, alpha=self.alpha,
                                                 gamma=self.gamma,
                                                 iou_weighted=self.iou_weighted,
                                                 reduction=reduction, avg_factor=avg_factor)
