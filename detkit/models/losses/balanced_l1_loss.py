"""Balanced L1 loss (Libra R-CNN, https://arxiv.org/abs/1904.02701)."""
from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

from ...registry import LOSSES
from .utils import check_reduction, resolve_reduction, weighted_loss


@weighted_loss
def balanced_l1_loss(pred: Tensor, target: Tensor, beta: float = 1.0, alpha: float = 0.5,
                     gamma: float = 1.5) -> Tensor:
    """Element-wise balanced L1.

    For d = |pred - target| < beta: alpha/b (b d + 1) ln(b d / beta + 1) - alpha d,
    else gamma d + gamma / b - alpha beta, with b = e^(gamma/alpha) - 1 (which makes
    the two pieces meet at d = beta).

    Args: pred, target (Tensor): same shape, e.g. (N, 4).
    """
    if beta <= 0:
        raise ValueError(f'balanced_l1_loss: beta must be > 0, but got {beta}')
    if target.numel() == 0:
        return pred.sum() * 0
    if pred.shape != target.shape:
        raise ValueError(f'balanced_l1_loss: pred {tuple(pred.shape)} and target '
                         f'{tuple(target.shape)} must have the same shape')
    diff = torch.abs(pred - target)
    b = math.exp(gamma / alpha) - 1
    return torch.where(diff < beta,
                       alpha / b * (b * diff + 1) * torch.log(b * diff / beta + 1) - alpha * diff,
                       gamma * diff + gamma / b - alpha * beta)


@LOSSES.register_module()
class BalancedL1Loss(nn.Module):
    """Balanced L1 loss.

    Args:
        alpha (float): denominator alpha. Default 0.5.
        gamma (float): gamma. Default 1.5.
        beta (float): threshold between the two pieces. Default 1.0.
        reduction (str): 'none', 'mean' or 'sum'.
        loss_weight (float): scalar weight.
    """

    def __init__(self, alpha: float = 0.5, gamma: float = 1.5, beta: float = 1.0,
                 reduction: str = 'mean', loss_weight: float = 1.0):
        super().__init__()
        check_reduction(reduction)
        self.alpha = alpha
        self.gamma = gamma
        self.beta = beta
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self, pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None, reduction_override: Optional[str] = None,
                **kwargs) -> Tensor:
        """Args: pred, target (N, 4); weight (N, 4) or broadcastable."""
        reduction = resolve_reduction(reduction_override, self.reduction)
        return self.loss_weight * balanced_l1_loss(
            pred, target, weight, alpha=self.alpha, gamma=self.gamma, beta=self.beta,
            reduction=reduction, avg_factor=avg_factor, **kwargs)
