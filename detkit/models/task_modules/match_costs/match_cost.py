"""Pairwise costs between predictions and ground truths, for Hungarian matching (DETR)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ....registry import MATCH_COSTS
from ....structures import bbox_cxcywh_to_xyxy, bbox_xyxy_to_cxcywh
from ..iou_calculators.iou2d_calculator import bbox_overlaps

BOX_FORMATS = ('xyxy', 'xywh')


@MATCH_COSTS.register_module()
class BBoxL1Cost:
    """L1 distance between predicted and gt boxes, both normalised to [0, 1].

    Args:
        weight (float): Default 1.
        box_format (str): 'xyxy' compares corners, 'xywh' centre and size.
    """

    def __init__(self, weight: float = 1., box_format: str = 'xyxy'):
        if box_format not in BOX_FORMATS:
            raise ValueError(f'BBoxL1Cost: box_format must be one of {BOX_FORMATS}, '
                             f'but got {box_format!r}')
        self.weight = weight
        self.box_format = box_format

    def __call__(self, bbox_pred: Tensor, gt_bboxes: Tensor) -> Tensor:
        """Args: bbox_pred (Q, 4) normalised (cx, cy, w, h); gt_bboxes (G, 4) normalised
        (x1, y1, x2, y2). Returns (Q, G)."""
        if self.box_format == 'xywh':
            gt_bboxes = bbox_xyxy_to_cxcywh(gt_bboxes)
        else:
            bbox_pred = bbox_cxcywh_to_xyxy(bbox_pred)
        return torch.cdist(bbox_pred, gt_bboxes, p=1) * self.weight


@MATCH_COSTS.register_module()
class FocalLossCost:
    """Focal-loss cost: positive minus negative focal term of the gt's class.

    Args:
        weight (float). alpha (float): 0.25. gamma (float): 2. eps (float): 1e-12.
        binary_input (bool): inputs are per-pixel mask logits (Q, H, W) vs (G, H, W)
            binary masks; the cost is averaged over pixels.
    """

    def __init__(self, weight: float = 1., alpha: float = 0.25, gamma: float = 2,
                 eps: float = 1e-12, binary_input: bool = False):
        self.weight = weight
        self.alpha = alpha
        self.gamma = gamma
        self.eps = eps
        self.binary_input = binary_input

    def _terms(self, logits: Tensor) -> tuple:
        p = logits.sigmoid()
        neg = -(1 - p + self.eps).log() * (1 - self.alpha) * p.pow(self.gamma)
        pos = -(p + self.eps).log() * self.alpha * (1 - p).pow(self.gamma)
        return pos, neg

    def __call__(self, cls_pred: Tensor, gt_labels: Tensor) -> Tensor:
        """Args: cls_pred (Q, C) logits and gt_labels (G,); or, with ``binary_input``,
        (Q, *) logits and (G, *) binary masks. Returns (Q, G)."""
        if self.binary_input:
            pred = cls_pred.flatten(1)
            target = gt_labels.flatten(1).to(pred.dtype)
            pos, neg = self._terms(pred)
            cost = pos @ target.t() + neg @ (1 - target).t()
            return cost / pred.shape[1] * self.weight
        pos, neg = self._terms(cls_pred)
        return (pos[:, gt_labels] - neg[:, gt_labels]) * self.weight


@MATCH_COSTS.register_module()
class ClassificationCost:
    """Negative softmax probability of the gt's class. Args: weight (float)."""

    def __init__(self, weight: float = 1.):
        self.weight = weight

    def __call__(self, cls_pred: Tensor, gt_labels: Tensor) -> Tensor:
        """Args: cls_pred (Q, C + 1) logits; gt_labels (G,). Returns (Q, G)."""
        return -cls_pred.softmax(-1)[:, gt_labels] * self.weight


@MATCH_COSTS.register_module()
class IoUCost:
    """Negative IoU (or GIoU) between boxes.

    Args:
        iou_mode (str): 'iou', 'iof' or 'giou'. Default 'giou'. weight (float).
    """

    def __init__(self, iou_mode: str = 'giou', weight: float = 1.):
        self.weight = weight
        self.iou_mode = iou_mode

    def __call__(self, bboxes: Tensor, gt_bboxes: Tensor) -> Tensor:
        """Args: bboxes (Q, 4), gt_bboxes (G, 4), absolute (x1, y1, x2, y2). Returns (Q, G)."""
        return -bbox_overlaps(bboxes, gt_bboxes, mode=self.iou_mode) * self.weight


@MATCH_COSTS.register_module()
class DiceCost:
    """1 - dice between predicted and gt masks.

    Args:
        weight (float). pred_act (bool): apply sigmoid to the predictions.
        eps (float): 1e-3. naive_dice (bool): the naive dice (else V-Net's squares).
    """

    def __init__(self, weight: float = 1., pred_act: bool = False, eps: float = 1e-3,
                 naive_dice: bool = True):
        self.weight = weight
        self.pred_act = pred_act
        self.eps = eps
        self.naive_dice = naive_dice

    def __call__(self, mask_preds: Tensor, gt_masks: Tensor) -> Tensor:
        """Args: mask_preds (Q, H, W); gt_masks (G, H, W). Returns (Q, G)."""
        if self.pred_act:
            mask_preds = mask_preds.sigmoid()
        pred = mask_preds.flatten(1)
        gt = gt_masks.flatten(1).to(pred.dtype)
        numerator = 2 * pred @ gt.t()
        if self.naive_dice:
            denominator = pred.sum(-1)[:, None] + gt.sum(-1)[None, :]
        else:
            denominator = pred.pow(2).sum(1)[:, None] + gt.pow(2).sum(1)[None, :]
        return (1 - (numerator + self.eps) / (denominator + self.eps)) * self.weight


@MATCH_COSTS.register_module()
class CrossEntropyLossCost:
    """Binary cross-entropy between mask logits and gt masks, averaged over pixels.

    Args:
        weight (float). use_sigmoid (bool): must be True.
    """

    def __init__(self, weight: float = 1., use_sigmoid: bool = True):
        if not use_sigmoid:
            raise ValueError('CrossEntropyLossCost supports only use_sigmoid=True')
        self.weight = weight
        self.use_sigmoid = use_sigmoid

    def __call__(self, cls_pred: Tensor, gt_labels: Tensor) -> Tensor:
        """Args: cls_pred (Q, *) logits; gt_labels (G, *) binary. Returns (Q, G)."""
        pred = cls_pred.flatten(1).float()
        gt = gt_labels.flatten(1).float()
        n = pred.shape[1]
        pos = F.binary_cross_entropy_with_logits(pred, torch.ones_like(pred), reduction='none')
        neg = F.binary_cross_entropy_with_logits(pred, torch.zeros_like(pred), reduction='none')
        return (pos @ gt.t() + neg @ (1 - gt).t()) / n * self.weight
