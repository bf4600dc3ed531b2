"""Sigmoid focal loss (RetinaNet): a pure-torch kernel and the fused compiled op."""
from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ...registry import LOSSES
from .utils import check_reduction, resolve_reduction, weight_reduce_loss


def _fused_focal_op(device: Optional[torch.device] = None) -> Optional[Callable]:
    """``detkit.ops.sigmoid_focal_loss`` when the loaded extension has a kernel for
    ``device`` (any device when None), else None."""
    try:
        from ... import ops
        available = ops.compiled_ops().get('sigmoid_focal_loss', [])
    except (ImportError, RuntimeError, OSError, AttributeError):
        # the extension is missing or broken: py_sigmoid_focal_loss gives the same values
        return None
    if not available or (device is not None and device.type not in available):
        return None
    return ops.sigmoid_focal_loss


def _match_weight(weight: Optional[Tensor], loss: Tensor) -> Optional[Tensor]:
    """Sample-wise (N,) weights become (N, 1); a flat weight of N*C elements becomes (N, C)."""
    if weight is None or weight.shape == loss.shape:
        return weight
    if weight.dim() == 1 and weight.size(0) == loss.size(0):
        return weight.view(-1, 1)
    if weight.numel() == loss.numel():
        return weight.view(loss.size(0), -1)
    raise ValueError(f'focal loss: weight of shape {tuple(weight.shape)} matches neither the '
                     f'samples ({loss.size(0)},) nor the loss {tuple(loss.shape)}')


def _focal_terms(prob: Tensor, target: Tensor, gamma: float, alpha: float) -> Tensor:
    # pt is the probability of the *wrong* answer: (1 - p) for positives, p for negatives
    pt = (1 - prob) * target + prob * (1 - target)
    return (alpha * target + (1 - alpha) * (1 - target)) * pt.pow(gamma)


def py_sigmoid_focal_loss(pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                          gamma: float = 2.0, alpha: float = 0.25, reduction: str = 'mean',
                          avg_factor: Optional[float] = None) -> Tensor:
    """Sigmoid focal loss in plain torch.

    Args:
        pred (Tensor): (N, C) logits.
        target (Tensor): (N, C) binary (one-hot) targets.
        weight (Tensor, optional): (N,), (N, C) or N*C elements.
        gamma (float): focusing exponent. alpha (float): positive-class balance.

    Returns:
        Tensor: scalar, or (N, C) for 'none'.
    """
    target = target.type_as(pred)
    focal_weight = _focal_terms(pred.sigmoid(), target, gamma, alpha)
    loss = F.binary_cross_entropy_with_logits(pred, target, reduction='none') * focal_weight
    return weight_reduce_loss(loss, _match_weight(weight, loss), reduction, avg_factor)


def py_focal_loss_with_prob(pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                            gamma: float = 2.0, alpha: float = 0.25, reduction: str = 'mean',
                            avg_factor: Optional[float] = None) -> Tensor:
    """Focal loss on probabilities (``activated=True``).

    Args:
        pred (Tensor): (N, C) probabilities in [0, 1].
        target (Tensor): (N,) labels in [0, C]; C is background.

    Returns:
        Tensor: scalar, or (N, C) for 'none'.
    """
    num_classes = pred.size(1)
    target = F.one_hot(target, num_classes=num_classes + 1)[:, :num_classes].type_as(pred)
    focal_weight = _focal_terms(pred, target, gamma, alpha)
    loss = F.binary_cross_entropy(pred, target, reduction='none') * focal_weight
    return weight_reduce_loss(loss, _match_weight(weight, loss), reduction, avg_factor)


def sigmoid_focal_loss(pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                       gamma: float = 2.0, alpha: float = 0.25, reduction: str = 'mean',
                       avg_factor: Optional[float] = None) -> Tensor:
    """Sigmoid focal loss through the fused compiled op (``detkit.ops.sigmoid_focal_loss``).

    Args:
        pred (Tensor): (N, C) logits.
        target (Tensor): (N,) int64 labels in [0, C]; C is background.

    Returns:
        Tensor: scalar, or (N, C) for 'none'.
    """
    op = _fused_focal_op(pred.device)
    if op is None:
        raise RuntimeError('sigmoid_focal_loss needs the compiled op '
                           'detkit.ops.sigmoid_focal_loss, '
                           'which is not available; use py_sigmoid_focal_loss')
    loss = op(pred.contiguous(), target.contiguous(), gamma, alpha, None, 'none')
    return weight_reduce_loss(loss, _match_weight(weight, loss), reduction, avg_factor)


@LOSSES.register_module()
class FocalLoss(nn.Module):
    """Sigmoid focal loss (https://arxiv.org/abs/1708.02002).

    Args:
        use_sigmoid (bool): must be True (only the sigmoid form exists).
        gamma (float): focusing exponent. Default 2.0.
        alpha (float): balance of the positive term. Default 0.25.
        reduction (str): 'none', 'mean' or 'sum'.
        loss_weight (float): scalar weight.
        activated (bool): ``pred`` holds probabilities, not logits.
    """

    def __init__(self, use_sigmoid: bool = True, gamma: float = 2.0, alpha: float = 0.25,
                 reduction: str = 'mean', loss_weight: float = 1.0, activated: bool = False):
        super().__init__()
        if use_sigmoid is not True:
            raise ValueError('FocalLoss supports only use_sigmoid=True (sigmoid focal loss)')
        check_reduction(reduction)
        self.use_sigmoid = use_sigmoid
        self.gamma = gamma
        self.alpha = alpha
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.activated = activated

    def forward(self, pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Args: pred (N, C); target (N,) labels in [0, C] (C = background) or (N, C) binary;
        weight (N,) or (N, C)."""
        reduction = resolve_reduction(reduction_override, self.reduction)
        args = (weight, self.gamma, self.alpha, reduction, avg_factor)
        if self.activated:
            return self.loss_weight * py_focal_loss_with_prob(pred, target, *args)
        if target.dim() == 1 and _fused_focal_op(pred.device) is not None:
            return self.loss_weight * sigmoid_focal_loss(pred, target, *args)
        if target.dim() == 1:
            num_classes = pred.size(1)
            target = F.one_hot(target, num_classes=num_classes + 1)[:, :num_classes]
        return self.loss_weight * py_sigmoid_focal_loss(pred, target, *args)
