"""The one place where losses are weighted and reduced (the seed's chapter 12).

A loss kernel returns an element-wise (or sample-wise) loss; it is multiplied by an
element-wise ``weight``, reduced to a scalar ('mean' / 'sum', or kept with 'none'),
and finally scaled by the module's scalar ``loss_weight``. ``avg_factor`` replaces the
element count of 'mean' (e.g. the number of positive anchors); it makes no sense with
'sum', so that combination raises.
"""
from __future__ import annotations

import functools
from typing import Callable, Optional

import torch
from torch import Tensor

from ...utils.suggest import did_you_mean

#: reductions accepted by every loss.
REDUCTIONS = ('none', 'mean', 'sum')


def check_reduction(reduction: Optional[str], name: str = 'reduction',
                    allow_none: bool = False) -> None:
    """Raise a ``ValueError`` naming the accepted values unless ``reduction`` is one."""
    if allow_none and reduction is None:
        return
    if reduction not in REDUCTIONS:
        hint = did_you_mean(reduction, REDUCTIONS) if isinstance(reduction, str) else ''
        raise ValueError(f'{name} must be one of {REDUCTIONS}'
                         f'{" or None" if allow_none else ""}, but got {reduction!r}{hint}')


def resolve_reduction(reduction_override: Optional[str], reduction: str) -> str:
    """``reduction_override`` when given, else the module's ``reduction``; both checked."""
    check_reduction(reduction_override, 'reduction_override', allow_none=True)
    return reduction_override if reduction_override else reduction


def reduce_loss(loss: Tensor, reduction: str) -> Tensor:
    """Reduce loss as specified.

    Args:
        loss (Tensor): element-wise loss, any shape.
        reduction (str): 'none' (returned as is), 'mean' or 'sum'.

    Returns:
        Tensor: a scalar, or ``loss`` itself for 'none'. The mean of an empty loss
        is 0 (MMDetection gives NaN).
    """
    check_reduction(reduction)
    if reduction == 'mean':
        # the mean of nothing (no samples) is 0 here, not NaN, so one empty batch
        # cannot poison training; the sum keeps the graph
        return loss.mean() if loss.numel() else loss.sum()
    if reduction == 'sum':
        return loss.sum()
    return loss


def _check_weight(loss: Tensor, weight: Tensor) -> None:
    # A weight that broadcasts *up* the loss (e.g. (N,) against (N, 1) -> (N, N)) would
    # silently square the number of terms, so only shapes that keep the loss shape pass.
    try:
        shape = torch.broadcast_shapes(weight.shape, loss.shape)
    except RuntimeError:
        shape = None
    if shape != loss.shape:
        raise ValueError(f'the loss weight of shape {tuple(weight.shape)} does not match the '
                         f'element-wise loss of shape {tuple(loss.shape)}: it must have the '
                         f'same shape or broadcast to it (e.g. (N, 1) for a (N, C) loss)')


def weight_reduce_loss(loss: Tensor, weight: Optional[Tensor] = None, reduction: str = 'mean',
                       avg_factor: Optional[float] = None) -> Tensor:
    """Apply an element-wise weight, then reduce.

    Args:
        loss (Tensor): element-wise loss.
        weight (Tensor, optional): element-wise weight, same shape as ``loss`` or
            broadcastable to it.
        reduction (str): 'none', 'mean' or 'sum'.
        avg_factor (float, optional): divisor of the summed loss for 'mean'
            (instead of the element count). Raises with 'sum'.

    Returns:
        Tensor: the reduced (or, for 'none', weighted element-wise) loss.
    """
    check_reduction(reduction)
    if weight is not None and weight.numel() == 0 and loss.dim() == 0:
        # kernels return a zero scalar for empty inputs; the empty weight weighs nothing
        weight = None
    if weight is not None:
        _check_weight(loss, weight)
        loss = loss * weight
    if avg_factor is None:
        return reduce_loss(loss, reduction)
    if reduction == 'mean':
        # eps keeps an avg_factor of 0 (no positives) from producing inf/nan
        eps = torch.finfo(torch.float32).eps
        return loss.sum() / (avg_factor + eps)
    if reduction == 'sum':
        raise ValueError('avg_factor can not be used with reduction="sum": '
                         'use reduction="mean" to divide the sum by avg_factor')
    return loss


def weighted_loss(loss_func: Callable) -> Callable:
    """Make ``loss_func(pred, target, **kwargs)`` (element-wise, unreduced) weighted.

    The wrapped function has the signature
    ``(pred, target, weight=None, reduction='mean', avg_factor=None, **kwargs)``.

    Example:
        >>> @weighted_loss
        ... def l1_loss(pred, target):
        ...     return (pred - target).abs()
        >>> l1_loss(torch.tensor([0., 2, 3]), torch.tensor([1., 1, 1]),
        ...         torch.tensor([1., 0, 1]), avg_factor=2)
        tensor(1.5000)
    """

    @functools.wraps(loss_func)
    def wrapper(pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                reduction: str = 'mean', avg_factor: Optional[float] = None,
                **kwargs) -> Tensor:
        loss = loss_func(pred, target, **kwargs)
        return weight_reduce_loss(loss, weight, reduction, avg_factor)

    return wrapper
