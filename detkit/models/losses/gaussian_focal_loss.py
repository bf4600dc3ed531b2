"""Gaussian focal loss (CornerNet / CenterNet heatmaps)."""
from __future__ import annotations

from typing import Optional

import torch.nn as nn
from torch import Tensor

from ...registry import LOSSES
from .utils import check_reduction, resolve_reduction, weighted_loss


@weighted_loss
def gaussian_focal_loss(pred: Tensor, gaussian_target: Tensor, alpha: float = 2.0,
                        gamma: float = 4.0) -> Tensor:
    """Focal loss against a Gaussian heatmap: peaks (target == 1) are positives, the rest
    negatives down-weighted by (1 - target)^gamma.

    Args:
        pred (Tensor): heatmap probabilities, any shape.
        gaussian_target (Tensor): same shape, in [0, 1].
    """
    eps = 1e-12
    pos = gaussian_target.eq(1)
    neg_weights = (1 - gaussian_target).pow(gamma)
    pos_loss = -(pred + eps).log() * (1 - pred).pow(alpha) * pos
    neg_loss = -(1 - pred + eps).log() * pred.pow(alpha) * neg_weights
    return pos_loss + neg_loss


@LOSSES.register_module()
class GaussianFocalLoss(nn.Module):
    """Gaussian focal loss. Args: alpha (float) 2.0; gamma (float) 4.0; reduction; loss_weight."""

    def __init__(self, alpha: float = 2.0, gamma: float = 4.0, reduction: str = 'mean',
                 loss_weight: float = 1.0):
        super().__init__()
        check_reduction(reduction)
        self.alpha = alpha
        self.gamma = gamma
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self, pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Args: pred, target: heatmaps of equal shape; weight broadcastable to them."""
        reduction = resolve_reduction(reduction_override, self.reduction)
        return self.loss_weight * gaussian_focal_loss(pred, target, weight, alpha=self.alpha,
                                                      gamma=self.gamma, reduction=reduction,
                                                      avg_factor=avg_factor)
