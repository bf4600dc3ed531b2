"""Softmax / sigmoid / per-class-mask cross-entropy, and ``CrossEntropyLoss``."""
from __future__ import annotations

import warnings
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ...registry import LOSSES
from .utils import check_reduction, resolve_reduction, weight_reduce_loss

#: PyTorch's default ignore_index, used when ``ignore_index`` is None.
_DEFAULT_IGNORE = -100


def cross_entropy(pred: Tensor, label: Tensor, weight: Optional[Tensor] = None,
                  reduction: str = 'mean', avg_factor: Optional[float] = None,
                  class_weight: Optional[Tensor] = None, ignore_index: Optional[int] = -100,
                  avg_non_ignore: bool = False) -> Tensor:
    """Softmax cross-entropy.

    Args:
        pred (Tensor): (N, C) logits.
        label (Tensor): (N,) class indices (int64).
        weight (Tensor, optional): (N,) sample-wise weight.
        reduction (str): 'none', 'mean' or 'sum'.
        avg_factor (float, optional): divisor for 'mean'.
        class_weight (Tensor, optional): (C,) per-class weight.
        ignore_index (int, optional): label to ignore; None means -100.
        avg_non_ignore (bool): average over the non-ignored labels only.

    Returns:
        Tensor: scalar, or (N,) for 'none'.
    """
    ignore_index = _DEFAULT_IGNORE if ignore_index is None else ignore_index
    loss = F.cross_entropy(pred, label, weight=class_weight, reduction='none',
                           ignore_index=ignore_index)
    if avg_factor is None and avg_non_ignore and reduction == 'mean':
        avg_factor = label.numel() - (label == ignore_index).sum().item()
    if weight is not None:
        weight = weight.to(loss.dtype)  # integer/bool weights must not truncate the loss
    return weight_reduce_loss(loss, weight, reduction, avg_factor)


def _expand_onehot_labels(labels: Tensor, label_weights: Optional[Tensor], channels: int,
                          ignore_index: int) -> tuple:
    """(N,) labels -> (N, C) one-hot targets and weights; labels >= C (background) are all 0."""
    valid = (labels >= 0) & (labels != ignore_index)
    in_range = valid & (labels < channels)
    bin_labels = torch.zeros(labels.size(0), channels + 1, dtype=labels.dtype,
                             device=labels.device)
    # out-of-range labels land in the extra column, which is cut off
    cols = torch.where(in_range, labels, torch.full_like(labels, channels))
    bin_labels.scatter_(1, cols.view(-1, 1), 1)
    bin_labels = bin_labels[:, :channels]
    valid_mask = valid.view(-1, 1).expand(labels.size(0), channels).float()
    if label_weights is None:
        bin_weights = valid_mask
    else:
        bin_weights = label_weights.view(-1, 1).expand(labels.size(0), channels) * valid_mask
    return bin_labels, bin_weights, valid_mask


def binary_cross_entropy(pred: Tensor, label: Tensor, weight: Optional[Tensor] = None,
                         reduction: str = 'mean', avg_factor: Optional[float] = None,
                         class_weight: Optional[Tensor] = None,
                         ignore_index: Optional[int] = -100,
                         avg_non_ignore: bool = False) -> Tensor:
    """Sigmoid (binary) cross-entropy.

    Args:
        pred (Tensor): (N, C) or (N,) logits. With (N, C) and (N,) labels the labels
            are expanded to one-hot (labels >= C are background: all zeros).
        label (Tensor): (N,) class indices, or targets of the same shape as ``pred``.
        weight (Tensor, optional): sample-wise weight, (N,) or the shape of ``pred``.
        class_weight (Tensor, optional): (C,) ``pos_weight`` of the positive term.
        ignore_index (int, optional): label to ignore; None means -100.
        avg_non_ignore (bool): average over the non-ignored elements only.

    Returns:
        Tensor: scalar, or element-wise for 'none'.
    """
    ignore_index = _DEFAULT_IGNORE if ignore_index is None else ignore_index
    if pred.dim() != label.dim():
        label, weight, valid_mask = _expand_onehot_labels(label, weight, pred.size(-1),
                                                          ignore_index)
    else:
        valid_mask = ((label >= 0) & (label != ignore_index)).float()
        weight = valid_mask if weight is None else weight * valid_mask
    if avg_factor is None and avg_non_ignore and reduction == 'mean':
        avg_factor = valid_mask.sum().item()
    loss = F.binary_cross_entropy_with_logits(pred, label.to(pred.dtype), pos_weight=class_weight,
                                              reduction='none')
    return weight_reduce_loss(loss, weight.to(loss.dtype), reduction, avg_factor)


def mask_cross_entropy(pred: Tensor, target: Tensor, label: Tensor, reduction: str = 'mean',
                       avg_factor: Optional[float] = None, class_weight: Optional[Tensor] = None,
                       ignore_index: Optional[int] = None, **kwargs) -> Tensor:
    """Binary cross-entropy of each RoI's mask of its own class.

    Args:
        pred (Tensor): (N, C, H, W) mask logits.
        target (Tensor): (N, H, W) binary mask targets.
        label (Tensor): (N,) class of each RoI, selecting its channel of ``pred``.
        class_weight (Tensor, optional): passed as BCE ``weight``.
        ignore_index: must be None (kept for a uniform signature).

    Returns:
        Tensor: (1,) mean loss (``reduction``/``avg_factor`` are not used, as in
        MMDetection).
    """
    if ignore_index is not None:
        raise ValueError(f'mask_cross_entropy does not support ignore_index, got {ignore_index}')
    inds = torch.arange(pred.size(0), dtype=torch.long, device=pred.device)
    pred_slice = pred[inds, label].squeeze(1)
    return F.binary_cross_entropy_with_logits(pred_slice, target, weight=class_weight,
                                              reduction='mean')[None]


@LOSSES.register_module()
class CrossEntropyLoss(nn.Module):
    """Cross-entropy loss: softmax (default), sigmoid (``use_sigmoid``) or mask (``use_mask``).

    Args:
        use_sigmoid (bool): sigmoid BCE instead of softmax CE.
        use_mask (bool): per-RoI mask BCE (:func:`mask_cross_entropy`).
        reduction (str): 'none', 'mean' or 'sum'.
        class_weight (list[float], optional): per-class weight.
        ignore_index (int, optional): label to ignore (None: -100).
        loss_weight (float): scalar weight of the loss.
        avg_non_ignore (bool): average only over non-ignored elements.
    """

    def __init__(self, use_sigmoid: bool = False, use_mask: bool = False,
                 reduction: str = 'mean', class_weight: Optional[list] = None,
                 ignore_index: Optional[int] = None, loss_weight: float = 1.0,
                 avg_non_ignore: bool = False):
        super().__init__()
        if use_sigmoid and use_mask:
            raise ValueError('CrossEntropyLoss: use_sigmoid and use_mask cannot both be True')
        check_reduction(reduction)
        self.use_sigmoid = use_sigmoid
        self.use_mask = use_mask
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.class_weight = class_weight
        self.ignore_index = ignore_index
        self.avg_non_ignore = avg_non_ignore
        if ignore_index is not None and not avg_non_ignore and reduction == 'mean':
            warnings.warn('CrossEntropyLoss: with ignore_index set, reduction="mean" also '
                          'counts the ignored elements; set avg_non_ignore=True to average '
                          'over the non-ignored ones only', UserWarning, stacklevel=2)
        if use_sigmoid:
            self.cls_criterion = binary_cross_entropy
        elif use_mask:
            self.cls_criterion = mask_cross_entropy
        else:
            self.cls_criterion = cross_entropy

    def extra_repr(self) -> str:
        return f'avg_non_ignore={self.avg_non_ignore}'

    def forward(self, cls_score: Tensor, label: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None, reduction_override: Optional[str] = None,
                ignore_index: Optional[int] = None, **kwargs) -> Tensor:
        """Args: cls_score (N, C) logits (N, C, H, W for masks); label (N,); weight (N,).

        ``ignore_index`` overrides the module's for this call.
        """
        reduction = resolve_reduction(reduction_override, self.reduction)
        if ignore_index is None:
            ignore_index = self.ignore_index
        class_weight = (cls_score.new_tensor(self.class_weight)
                        if self.class_weight is not None else None)
        return self.loss_weight * self.cls_criterion(
            cls_score, label, weight, class_weight=class_weight, reduction=reduction,
            avg_factor=avg_factor, ignore_index=ignore_index,
            avg_non_ignore=self.avg_non_ignore, **kwargs)
