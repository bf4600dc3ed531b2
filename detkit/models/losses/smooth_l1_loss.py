"""Smooth L1 and L1 regression losses."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

from ...registry import LOSSES
from .utils import check_reduction, resolve_reduction, weighted_loss


def _check_pair(name: str, pred: Tensor, target: Tensor) -> None:
    if pred.shape != target.shape:
        raise ValueError(f'{name}: pred {tuple(pred.shape)} and target {tuple(target.shape)} '
                         f'must have the same shape')


@weighted_loss
def smooth_l1_loss(pred: Tensor, target: Tensor, beta: float = 1.0) -> Tensor:
    """Element-wise smooth L1: 0.5 d^2 / beta for d < beta, else d - 0.5 beta.

    Args: pred, target (Tensor): same shape, e.g. (N, 4). beta (float): > 0.
    """
    if beta <= 0:
        raise ValueError(f'smooth_l1_loss: beta must be > 0, but got {beta}')
    if target.numel() == 0:
        return pred.sum() * 0  # keeps the graph for an image with no positives
    _check_pair('smooth_l1_loss', pred, target)
    diff = torch.abs(pred - target)
    return torch.where(diff < beta, 0.5 * diff * diff / beta, diff - 0.5 * beta)


@weighted_loss
def l1_loss(pred: Tensor, target: Tensor) -> Tensor:
    """Element-wise |pred - target|. Args: pred, target (Tensor): same shape."""
    if target.numel() == 0:
        return pred.sum() * 0
    _check_pair('l1_loss', pred, target)
    return torch.abs(pred - target)


@LOSSES.register_module()
class SmoothL1Loss(nn.Module):
    """Smooth L1 loss.

    Args:
        beta (float): threshold of the quadratic part. Default 1.0.
        reduction (str): 'none', 'mean' or 'sum'.
        loss_weight (float): scalar weight.
    """

    def __init__(self, beta: float = 1.0, reduction: str = 'mean', loss_weight: float = 1.0):
        super().__init__()
        check_reduction(reduction)
        self.beta = beta
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self, pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None, reduction_override: Optional[str] = None,
                **kwargs) -> Tensor:
        """Args: pred, target (N, 4); weight (N, 4) or broadcastable."""
        reduction = resolve_reduction(reduction_override, self.reduction)
        return self.loss_weight * smooth_l1_loss(pred, target, weight, beta=self.beta,
                                                 reduction=reduction, avg_factor=avg_factor,
                                                 **kwargs)


@LOSSES.register_module()
class L1Loss(nn.Module):
    """L1 loss.

    Args:
        reduction (str): 'none', 'mean' or 'sum'.
        loss_weight (float): scalar weight.
    """

    def __init__(self, reduction: str = 'mean', loss_weight: float = 1.0):
        super().__init__()
        check_reduction(reduction)
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self, pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Args: pred, target (N, 4); weight (N, 4) or broadcastable."""
        reduction = resolve_reduction(reduction_override, self.reduction)
        return self.loss_weight * l1_loss(pred, target, weight, reduction=reduction,
                                          avg_factor=avg_factor)
