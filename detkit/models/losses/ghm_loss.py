"""Gradient Harmonizing Mechanism losses GHM-C and GHM-R (https://arxiv.org/abs/1811.05181).

Each element is weighted by the inverse density of its gradient norm g: g is binned
into ``bins`` equal-width bins over [0, 1], and an element in a bin holding n of the
``tot`` valid elements gets weight tot / n (divided by the number of non-empty bins).
With ``momentum`` > 0 the bin counts are exponential moving averages kept in the
``acc_sum`` buffer.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ...registry import LOSSES
from .utils import check_reduction, resolve_reduction, weight_reduce_loss


def _expand_binary_labels(labels: Tensor, label_weights: Tensor, channels: int) -> tuple:
    """(N,) labels -> (N, C) one-hot (labels outside [0, C) give all-zero rows)."""
    in_range = (labels >= 0) & (labels < channels)
    onehot = torch.zeros(labels.size(0), channels + 1, dtype=labels.dtype, device=labels.device)
    cols = torch.where(in_range, labels, torch.full_like(labels, channels))
    onehot.scatter_(1, cols.view(-1, 1), 1)
    weights = label_weights.view(-1, 1).expand(label_weights.size(0), channels)
    return onehot[:, :channels], weights


def _harmonized_weights(g: Tensor, valid: Tensor, edges: Tensor, tot: float, momentum: float,
                        acc_sum: Optional[Tensor]) -> Tensor:
    """Per-element GHM weights; ``acc_sum`` (bins,) is updated in place when momentum > 0."""
    bins = edges.numel() - 1
    # bucketize with right=True gives i such that edges[i-1] <= g < edges[i]
    idx = torch.bucketize(g, edges, right=True) - 1
    in_bin = valid & (idx >= 0) & (idx < bins)
    idx = idx.clamp(0, bins - 1)
    counts = torch.bincount(idx[in_bin], minlength=bins).to(g.dtype)
    nonempty = counts > 0
    if momentum > 0:
        acc_sum[nonempty] = momentum * acc_sum[nonempty] + (1 - momentum) * counts[nonempty]
        denom = acc_sum.to(g.dtype)
    else:
        denom = counts
    per_bin = torch.where(nonempty, tot / denom.clamp(min=1e-12), torch.zeros_like(denom))
    weights = torch.where(in_bin, per_bin[idx], torch.zeros_like(g))
    n = int(nonempty.sum())
    return weights / n if n > 0 else weights


@LOSSES.register_module()
class GHMC(nn.Module):
    """GHM classification loss (sigmoid BCE).

    Args:
        bins (int): number of gradient-norm bins. momentum (float): EMA of bin counts.
        use_sigmoid (bool): must be True. loss_weight (float). reduction (str).
    """

    def __init__(self, bins: int = 10, momentum: float = 0, use_sigmoid: bool = True,
                 loss_weight: float = 1.0, reduction: str = 'mean'):
        super().__init__()
        if not use_sigmoid:
            raise ValueError('GHMC supports only use_sigmoid=True (a BCE-based loss)')
        check_reduction(reduction)
        self.bins = bins
        self.momentum = momentum
        edges = torch.arange(bins + 1).float() / bins
        edges[-1] += 1e-6  # so that g == 1 falls in the last bin
        self.register_buffer('edges', edges)
        if momentum > 0:
            self.register_buffer('acc_sum', torch.zeros(bins))
        self.use_sigmoid = use_sigmoid
        self.loss_weight = loss_weight
        self.reduction = reduction

    def forward(self, pred: Tensor, target: Tensor, label_weight: Tensor,
                reduction_override: Optional[str] = None, **kwargs) -> Tensor:
        """Args: pred (N, C) logits; target (N, C) binary or (N,) labels;
        label_weight (N, C) or (N,): 1 valid, 0 ignored."""
        reduction = resolve_reduction(reduction_override, self.reduction)
        if pred.dim() != target.dim():
            target, label_weight = _expand_binary_labels(target, label_weight, pred.size(-1))
        target, label_weight = target.to(pred.dtype), label_weight.to(pred.dtype)
        g = torch.abs(pred.sigmoid().detach() - target)
        valid = label_weight > 0
        tot = max(valid.float().sum().item(), 1.0)
        weights = _harmonized_weights(g, valid, self.edges, tot, self.momentum,
                                      getattr(self, 'acc_sum', None))
        loss = F.binary_cross_entropy_with_logits(pred, target, reduction='none')
        return weight_reduce_loss(loss, weights, reduction, avg_factor=tot) * self.loss_weight


@LOSSES.register_module()
class GHMR(nn.Module):
    """GHM regression loss on the authentic smooth L1 sqrt(d^2 + mu^2) - mu.

    Args:
        mu (float): smoothness of the ASL1 loss. bins (int). momentum (float).
        loss_weight (float). reduction (str).
    """

    def __init__(self, mu: float = 0.02, bins: int = 10, momentum: float = 0,
                 loss_weight: float = 1.0, reduction: str = 'mean'):
        super().__init__()
        check_reduction(reduction)
        self.mu = mu
        self.bins = bins
        edges = torch.arange(bins + 1).float() / bins
        edges[-1] = 1e3
        self.register_buffer('edges', edges)
        self.momentum = momentum
        if momentum > 0:
            self.register_buffer('acc_sum', torch.zeros(bins))
        self.loss_weight = loss_weight
        self.reduction = reduction

    def forward(self, pred: Tensor, target: Tensor, label_weight: Tensor,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Args: pred, target, label_weight (N, 4) (or (N, 4C)); weight 0 = ignored.

        As in MMDetection, the loss is averaged over the valid elements (``avg_factor``
        is accepted for a uniform signature and not used).
        """
        reduction = resolve_reduction(reduction_override, self.reduction)
        mu = self.mu
        diff = pred - target
        loss = torch.sqrt(diff * diff + mu * mu) - mu
        g = torch.abs(diff / torch.sqrt(mu * mu + diff * diff)).detach()
        valid = label_weight > 0
        tot = max(label_weight.float().sum().item(), 1.0)
        weights = _harmonized_weights(g, valid, self.edges, tot, self.momentum,
                                      getattr(self, 'acc_sum', None))
        return weight_reduce_loss(loss, weights, reduction, avg_factor=tot) * self.loss_weight
