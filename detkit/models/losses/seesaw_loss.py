"""Seesaw loss for long-tailed instance segmentation (https://arxiv.org/abs/2008.10032)."""
from __future__ import annotations

from typing import Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ...registry import LOSSES
from .accuracy import accuracy
from .cross_entropy_loss import cross_entropy
from .utils import check_reduction, resolve_reduction, weight_reduce_loss


def seesaw_ce_loss(cls_score: Tensor, labels: Tensor, label_weights: Optional[Tensor],
                   cum_samples: Tensor, num_classes: int, p: float, q: float, eps: float,
                   reduction: str = 'mean', avg_factor: Optional[float] = None) -> Tensor:
    """Cross-entropy whose negative logits are shifted by log(mitigation * compensation).

    Args:
        cls_score (Tensor): (N, C) logits of the foreground classes.
        labels (Tensor): (N,) in [0, C).
        label_weights (Tensor, optional): (N,).
        cum_samples (Tensor): (C,) instances seen so far per class.
        p (float): mitigation exponent: a frequent class's logit is damped on samples of
            a rarer class by (n_rare / n_frequent)^p.
        q (float): compensation exponent: a negative class scoring above the true class
            is boosted by (score_neg / score_true)^q.

    Returns:
        Tensor: scalar, or (N,) for 'none'.
    """
    if cls_score.size(-1) != num_classes or len(cum_samples) != num_classes:
        raise ValueError(f'seesaw_ce_loss: cls_score {tuple(cls_score.shape)} and cum_samples '
                         f'({len(cum_samples)},) must both have num_classes={num_classes}')
    onehot = F.one_hot(labels, num_classes)
    seesaw_weights = cls_score.new_ones(onehot.size())
    if p > 0:
        ratio = cum_samples[None, :].clamp(min=1) / cum_samples[:, None].clamp(min=1)
        below = (ratio < 1.0).float()
        sample_weights = ratio.pow(p) * below + (1 - below)
        seesaw_weights = seesaw_weights * sample_weights[labels.long(), :]
    if q > 0:
        scores = F.softmax(cls_score.detach(), dim=1)
        self_scores = scores[torch.arange(len(scores), device=scores.device), labels.long()]
        score_matrix = scores / self_scores[:, None].clamp(min=eps)
        above = (score_matrix > 1.0).float()
        seesaw_weights = seesaw_weights * (score_matrix.pow(q) * above + (1 - above))
    cls_score = cls_score + seesaw_weights.log() * (1 - onehot)
    loss = F.cross_entropy(cls_score, labels, weight=None, reduction='none')
    if label_weights is not None:
        label_weights = label_weights.float()
    return weight_reduce_loss(loss, label_weights, reduction, avg_factor)


@LOSSES.register_module()
class SeesawLoss(nn.Module):
    """Seesaw loss with an objectness branch: ``cls_score`` has C + 2 channels, the C
    class logits then (foreground, background) logits.

    Args:
        use_sigmoid (bool): must be False. p (float): 0.8. q (float): 2.0.
        num_classes (int): 1203 (LVIS v1). eps (float): 1e-2.
        reduction (str). loss_weight (float).
        return_dict (bool): return {'loss_cls_objectness', 'loss_cls_classes'}.
    """

    def __init__(self, use_sigmoid: bool = False, p: float = 0.8, q: float = 2.0,
                 num_classes: int = 1203, eps: float = 1e-2, reduction: str = 'mean',
                 loss_weight: float = 1.0, return_dict: bool = True):
        super().__init__()
        if use_sigmoid:
            raise ValueError('SeesawLoss supports only use_sigmoid=False (softmax)')
        check_reduction(reduction)
        self.use_sigmoid = False
        self.p = p
        self.q = q
        self.num_classes = num_classes
        self.eps = eps
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.return_dict = return_dict
        # the last slot counts background samples, which never enter the class term
        self.register_buffer('cum_samples', torch.zeros(num_classes + 1, dtype=torch.float))
        self.custom_cls_channels = True
        self.custom_activation = True
        self.custom_accuracy = True

    def _split_cls_score(self, cls_score: Tensor) -> tuple:
        if cls_score.size(-1) != self.num_classes + 2:
            raise ValueError(f'SeesawLoss: cls_score must have num_classes + 2 = '
                             f'{self.num_classes + 2} channels, but got {cls_score.size(-1)}')
        return cls_score[..., :-2], cls_score[..., -2:]

    def get_cls_channels(self, num_classes: int) -> int:
        """Channels the classifier must output: num_classes + 2."""
        if num_classes != self.num_classes:
            raise ValueError(f'SeesawLoss was built for num_classes={self.num_classes}, '
                             f'but the head has {num_classes}')
        return num_classes + 2

    def get_activation(self, cls_score: Tensor) -> Tensor:
        """(N, C + 2) logits -> (N, C + 1) scores: class softmax times P(foreground), then
        P(background)."""
        classes, objectness = self._split_cls_score(cls_score)
        score_classes = F.softmax(classes, dim=-1)
        score_obj = F.softmax(objectness, dim=-1)
        return torch.cat([score_classes * score_obj[..., [0]], score_obj[..., [1]]], dim=-1)

    def get_accuracy(self, cls_score: Tensor, labels: Tensor) -> dict:
        """{'acc_objectness', 'acc_classes'} in percent."""
        pos = labels < self.num_classes
        obj_labels = (labels == self.num_classes).long()
        classes, objectness = self._split_cls_score(cls_score)
        return dict(acc_objectness=accuracy(objectness, obj_labels),
                    acc_classes=accuracy(classes[pos], labels[pos]))

    def forward(self, cls_score: Tensor, labels: Tensor, label_weights: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Union[Tensor, dict]:
        """Args: cls_score (N, C + 2); labels (N,) in [0, C] (C = background);
        label_weights (N,)."""
        reduction = resolve_reduction(reduction_override, self.reduction)
        classes, objectness = self._split_cls_score(cls_score)
        pos = labels < self.num_classes
        obj_labels = (labels == self.num_classes).long()  # 0: foreground, 1: background
        self.cum_samples += torch.bincount(labels, minlength=self.num_classes + 1).to(
            self.cum_samples.dtype)
        if label_weights is not None:
            label_weights = label_weights.float()
        else:
            label_weights = labels.new_ones(labels.size(), dtype=torch.float)
        if pos.sum() > 0:
            loss_classes = self.loss_weight * seesaw_ce_loss(
                classes[pos], labels[pos], label_weights[pos], self.cum_samples[:self.num_classes],
                self.num_classes, self.p, self.q, self.eps, reduction, avg_factor)
        else:
            loss_classes = classes[pos].sum()
        loss_obj = self.loss_weight * cross_entropy(objectness, obj_labels, label_weights,
                                                    reduction, avg_factor)
        if self.return_dict:
            return dict(loss_cls_objectness=loss_obj, loss_cls_classes=loss_classes)
        return loss_classes + loss_obj
