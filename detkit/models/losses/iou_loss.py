"""IoU-family box regression losses: IoU, Bounded IoU, GIoU, DIoU, CIoU.

Boxes are (x1, y1, x2, y2). Each kernel is element-wise over box pairs, (N, 4) -> (N,)
(Bounded IoU: (N, 4)). A (N, 4) weight is averaged to (N,), and an all-zero weight
returns a zero that still carries the graph (an image without positives).
"""
from __future__ import annotations

import math
import warnings
from typing import Callable, Optional

import torch
import torch.nn as nn
from torch import Tensor

from ...registry import LOSSES
from ..task_modules.iou_calculators.iou2d_calculator import bbox_overlaps
from .utils import check_reduction, resolve_reduction, weighted_loss

IOU_LOSS_MODES = ('linear', 'square', 'log')


@weighted_loss
def iou_loss(pred: Tensor, target: Tensor, linear: bool = False, mode: str = 'log',
             eps: float = 1e-6) -> Tensor:
    """1 - IoU ('linear'), 1 - IoU^2 ('square') or -ln IoU ('log'); IoU clamped to >= eps."""
    if linear:
        mode = 'linear'
    ious = bbox_overlaps(pred, target, is_aligned=True).clamp(min=eps)
    if mode == 'linear':
        return 1 - ious
    if mode == 'square':
        return 1 - ious ** 2
    return -ious.log()


@weighted_loss
def bounded_iou_loss(pred: Tensor, target: Tensor, beta: float = 0.2,
                     eps: float = 1e-3) -> Tensor:
    """Bounded IoU loss (https://arxiv.org/abs/1711.00164), smooth-L1 of 4 IoU bounds.

    Returns:
        Tensor: (N, 4) for the centre x/y and width/height terms.
    """
    pred_cx = (pred[:, 0] + pred[:, 2]) * 0.5
    pred_cy = (pred[:, 1] + pred[:, 3]) * 0.5
    pred_w = pred[:, 2] - pred[:, 0]
    pred_h = pred[:, 3] - pred[:, 1]
    with torch.no_grad():
        target_cx = (target[:, 0] + target[:, 2]) * 0.5
        target_cy = (target[:, 1] + target[:, 3]) * 0.5
        target_w = target[:, 2] - target[:, 0]
        target_h = target[:, 3] - target[:, 1]
    dx = target_cx - pred_cx
    dy = target_cy - pred_cy
    loss_dx = 1 - ((target_w - 2 * dx.abs()) / (target_w + 2 * dx.abs() + eps)).clamp(min=0)
    loss_dy = 1 - ((target_h - 2 * dy.abs()) / (target_h + 2 * dy.abs() + eps)).clamp(min=0)
    loss_dw = 1 - torch.min(target_w / (pred_w + eps), pred_w / (target_w + eps))
    loss_dh = 1 - torch.min(target_h / (pred_h + eps), pred_h / (target_h + eps))
    comb = torch.stack([loss_dx, loss_dy, loss_dw, loss_dh], dim=-1).flatten(1)
    return torch.where(comb < beta, 0.5 * comb * comb / beta, comb - 0.5 * beta)


@weighted_loss
def giou_loss(pred: Tensor, target: Tensor, eps: float = 1e-7) -> Tensor:
    """1 - GIoU (https://arxiv.org/abs/1902.09630)."""
    return 1 - bbox_overlaps(pred, target, mode='giou', is_aligned=True, eps=eps)


def _iou_and_centre_term(pred: Tensor, target: Tensor, eps: float) -> tuple:
    """IoU (union + eps) and rho^2 / c^2 (centre distance over enclosing diagonal)."""
    wh = (torch.min(pred[:, 2:], target[:, 2:])
          - torch.max(pred[:, :2], target[:, :2])).clamp(min=0)
    overlap = wh[:, 0] * wh[:, 1]
    ap = (pred[:, 2] - pred[:, 0]) * (pred[:, 3] - pred[:, 1])
    ag = (target[:, 2] - target[:, 0]) * (target[:, 3] - target[:, 1])
    ious = overlap / (ap + ag - overlap + eps)
    enc = (torch.max(pred[:, 2:], target[:, 2:])
           - torch.min(pred[:, :2], target[:, :2])).clamp(min=0)
    c2 = enc[:, 0] ** 2 + enc[:, 1] ** 2 + eps
    rho2 = (((target[:, 0] + target[:, 2]) - (pred[:, 0] + pred[:, 2])) ** 2
            + ((target[:, 1] + target[:, 3]) - (pred[:, 1] + pred[:, 3])) ** 2) / 4
    return ious, rho2 / c2


@weighted_loss
def diou_loss(pred: Tensor, target: Tensor, eps: float = 1e-7) -> Tensor:
    """1 - DIoU = 1 - IoU + rho^2 / c^2 (https://arxiv.org/abs/1911.08287)."""
    ious, centre = _iou_and_centre_term(pred, target, eps)
    return 1 - (ious - centre)


@weighted_loss
def ciou_loss(pred: Tensor, target: Tensor, eps: float = 1e-7) -> Tensor:
    """1 - CIoU: DIoU plus the aspect-ratio term alpha * v, CIoU clamped to [-1, 1].

    As in MMDetection 2.x (and the CIoU authors' later code), alpha is 0 where
    IoU <= 0.5, so the aspect term only acts on well-overlapping boxes.
    """
    ious, centre = _iou_and_centre_term(pred, target, eps)
    w1, h1 = pred[:, 2] - pred[:, 0], pred[:, 3] - pred[:, 1] + eps
    w2, h2 = target[:, 2] - target[:, 0], target[:, 3] - target[:, 1] + eps
    v = (4 / math.pi ** 2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)) ** 2
    with torch.no_grad():
        alpha = (ious > 0.5).float() * v / (1 - ious + v)
    cious = ious - (centre + alpha * v)
    return 1 - cious.clamp(min=-1.0, max=1.0)


class _BoxIoULossBase(nn.Module):
    """Shared forward of the IoU-family losses; subclasses set ``_kernel`` and kwargs."""

    _kernel: Callable
    _reduce_box_weight = True  # (N, 4) weights are averaged to (N,) for (N,) losses

    def __init__(self, eps: float, reduction: str, loss_weight: float):
        super().__init__()
        check_reduction(reduction)
        self.eps = eps
        self.reduction = reduction
        self.loss_weight = loss_weight

    def _kernel_kwargs(self) -> dict:
        return dict(eps=self.eps)

    def forward(self, pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None, reduction_override: Optional[str] = None,
                **kwargs) -> Tensor:
        """Args: pred, target (N, 4) boxes; weight (N,) or (N, 4)."""
        reduction = resolve_reduction(reduction_override, self.reduction)
        if weight is not None and not torch.any(weight > 0) and reduction != 'none':
            if pred.dim() == weight.dim() + 1:
                weight = weight.unsqueeze(1)
            return (pred * weight).sum()  # zero, with a graph to backward through
        if self._reduce_box_weight and weight is not None and weight.dim() > 1:
            if weight.shape != pred.shape:
                raise ValueError(f'{type(self).__name__}: a 2-D weight must have the shape of '
                                 f'pred {tuple(pred.shape)}, but got {tuple(weight.shape)}')
            weight = weight.mean(-1)
        kernel = type(self)._kernel
        return self.loss_weight * kernel(pred, target, weight, reduction=reduction,
                                         avg_factor=avg_factor, **self._kernel_kwargs(),
                                         **kwargs)


@LOSSES.register_module()
class IoULoss(_BoxIoULossBase):
    """IoU loss (UnitBox, https://arxiv.org/abs/1608.01471).

    Args:
        linear (bool): deprecated, same as ``mode='linear'``.
        eps (float): lower bound of the IoU.
        reduction (str): 'none', 'mean' or 'sum'.
        loss_weight (float): scalar weight.
        mode (str): 'linear' (1 - IoU), 'square' (1 - IoU^2) or 'log' (-ln IoU).
    """

    _kernel = iou_loss

    def __init__(self, linear: bool = False, eps: float = 1e-6, reduction: str = 'mean',
                 loss_weight: float = 1.0, mode: str = 'log'):
        super().__init__(eps, reduction, loss_weight)
        if mode not in IOU_LOSS_MODES:
            raise ValueError(f'IoULoss: mode must be one of {IOU_LOSS_MODES}, but got {mode!r}')
        if linear:
            warnings.warn("IoULoss: linear=True is deprecated, use mode='linear'",
                          DeprecationWarning, stacklevel=2)
            mode = 'linear'
        self.linear = linear
        self.mode = mode

    def _kernel_kwargs(self) -> dict:
        return dict(eps=self.eps, mode=self.mode)


@LOSSES.register_module()
class BoundedIoULoss(_BoxIoULossBase):
    """Bounded IoU loss. Args: beta (float) smooth-L1 threshold; eps; reduction; loss_weight."""

    _kernel = bounded_iou_loss
    _reduce_box_weight = False

    def __init__(self, beta: float = 0.2, eps: float = 1e-3, reduction: str = 'mean',
                 loss_weight: float = 1.0):
        super().__init__(eps, reduction, loss_weight)
        self.beta = beta

    def _kernel_kwargs(self) -> dict:
        return dict(beta=self.beta, eps=self.eps)


@LOSSES.register_module()
class GIoULoss(_BoxIoULossBase):
    """Generalized IoU loss. Args: eps; reduction; loss_weight."""

    _kernel = giou_loss

    def __init__(self, eps: float = 1e-6, reduction: str = 'mean', loss_weight: float = 1.0):
        super().__init__(eps, reduction, loss_weight)


@LOSSES.register_module()
class DIoULoss(_BoxIoULossBase):
    """Distance IoU loss. Args: eps; reduction; loss_weight."""

    _kernel = diou_loss

    def __init__(self, eps: float = 1e-6, reduction: str = 'mean', loss_weight: float = 1.0):
        super().__init__(eps, reduction, loss_weight)


@LOSSES.register_module()
class CIoULoss(_BoxIoULossBase):
    """Complete IoU loss. Args: eps; reduction; loss_weight."""

    _kernel = ciou_loss

    def __init__(self, eps: float = 1e-6, reduction: str = 'mean', loss_weight: float = 1.0):
        super().__init__(eps, reduction, loss_weight)
