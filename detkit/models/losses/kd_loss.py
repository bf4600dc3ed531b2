"""Knowledge-distillation KL divergence (LD, https://arxiv.org/abs/2102.12252)."""
from __future__ import annotations

from typing import Optional

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ...registry import LOSSES
from .utils import check_reduction, resolve_reduction, weighted_loss


@weighted_loss
def knowledge_distillation_kl_div_loss(pred: Tensor, soft_label: Tensor, T: float,
                                       detach_target: bool = True) -> Tensor:
    """T^2 * mean over classes of KL(softmax(soft_label/T) || softmax(pred/T)).

    Args:
        pred (Tensor): (N, C) student logits.
        soft_label (Tensor): (N, C) teacher logits.
        T (float): temperature.

    Returns:
        Tensor: (N,).
    """
    if pred.shape != soft_label.shape:
        raise ValueError(f'knowledge_distillation_kl_div_loss: pred {tuple(pred.shape)} and '
                         f'soft_label {tuple(soft_label.shape)} must have the same shape')
    target = F.softmax(soft_label / T, dim=1)
    if detach_target:
        target = target.detach()
    return F.kl_div(F.log_softmax(pred / T, dim=1), target, reduction='none').mean(1) * (T * T)


@LOSSES.register_module()
class KnowledgeDistillationKLDivLoss(nn.Module):
    """KD KL-divergence loss. Args: reduction; loss_weight; T (float >= 1) temperature."""

    def __init__(self, reduction: str = 'mean', loss_weight: float = 1.0, T: float = 10):
        super().__init__()
        if T < 1:
            raise ValueError(f'KnowledgeDistillationKLDivLoss: T must be >= 1, but got {T}')
        check_reduction(reduction)
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.T = T

    def forward(self, pred: Tensor, soft_label: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Args: pred, soft_label (N, C) logits; weight (N,)."""
        reduction = resolve_reduction(reduction_override, self.reduction)
        return self.loss_weight * knowledge_distillation_kl_div_loss(
            pred, soft_label, weight, reduction=reduction, avg_factor=avg_factor, T=self.T)
