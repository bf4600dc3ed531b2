"""Dice loss for masks (V-Net form by default, or the naive form)."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

from ...registry import LOSSES
from .utils import check_reduction, resolve_reduction, weight_reduce_loss


def dice_loss(pred: Tensor, target: Tensor, weight: Optional[Tensor] = None, eps: float = 1e-3,
              reduction: str = 'mean', naive_dice: bool = False,
              avg_factor: Optional[float] = None) -> Tensor:
    """1 - dice per sample.

    V-Net (default): 2 sum(p t) / (sum(p^2) + eps + sum(t^2) + eps);
    naive: (2 sum(p t) + eps) / (sum(p) + sum(t) + eps).

    Args:
        pred (Tensor): (N, *) probabilities.
        target (Tensor): (N, *) binary targets.
        weight (Tensor, optional): (N,).

    Returns:
        Tensor: scalar, or (N,) for 'none'.
    """
    inp = pred.flatten(1)
    tgt = target.flatten(1).float()
    a = torch.sum(inp * tgt, 1)
    if naive_dice:
        d = (2 * a + eps) / (torch.sum(inp, 1) + torch.sum(tgt, 1) + eps)
    else:
        b = torch.sum(inp * inp, 1) + eps
        c = torch.sum(tgt * tgt, 1) + eps
        d = 2 * a / (b + c)
    loss = 1 - d
    if weight is not None and (weight.ndim != 1 or len(weight) != len(pred)):
        raise ValueError(f'dice_loss: weight must be (N,) = ({len(pred)},), but got '
                         f'{tuple(weight.shape)}')
    return weight_reduce_loss(loss, weight, reduction, avg_factor)


@LOSSES.register_module()
class DiceLoss(nn.Module):
    """Dice loss.

    Args:
        use_sigmoid (bool): activate with sigmoid (the only activation supported).
        activate (bool): apply the activation to ``pred`` first.
        reduction (str). naive_dice (bool): the naive form. loss_weight (float).
        eps (float): smoothing term. Default 1e-3.
    """

    def __init__(self, use_sigmoid: bool = True, activate: bool = True, reduction: str = 'mean',
                 naive_dice: bool = False, loss_weight: float = 1.0, eps: float = 1e-3):
        super().__init__()
        if activate and not use_sigmoid:
            raise ValueError('DiceLoss: with activate=True only use_sigmoid=True is supported')
        check_reduction(reduction)
        self.use_sigmoid = use_sigmoid
        self.activate = activate
        self.reduction = reduction
        self.naive_dice = naive_dice
        self.loss_weight = loss_weight
        self.eps = eps

    def forward(self, pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                reduction_override: Optional[str] = None,
                avg_factor: Optional[float] = None) -> Tensor:
        """Args: pred (N, *) logits (probabilities if not ``activate``); target (N, *);
        weight (N,)."""
        reduction = resolve_reduction(reduction_override, self.reduction)
        if self.activate:
            pred = pred.sigmoid()
        return self.loss_weight * dice_loss(pred, target, weight, eps=self.eps,
                                            reduction=reduction, naive_dice=self.naive_dice,
                                            avg_factor=avg_factor)
