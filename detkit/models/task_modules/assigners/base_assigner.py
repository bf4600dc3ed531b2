"""Base class of assigners, and helpers they share."""
from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Optional

import torch
from torch import Tensor

from .assign_result import AssignResult


class BaseAssigner(metaclass=ABCMeta):
    """An assigner matches predictions (priors, proposals, queries) to ground truths."""

    @abstractmethod
    def assign(self, bboxes: Tensor, gt_bboxes: Tensor, gt_bboxes_ignore: Optional[Tensor] = None,
               gt_labels: Optional[Tensor] = None) -> AssignResult:
        """Assign ground truths to ``bboxes``; returns an :class:`AssignResult`."""


def labels_of(gt_inds: Tensor, gt_labels: Optional[Tensor]) -> Optional[Tensor]:
    """(N,) labels of the assigned gts (-1 where gt_inds <= 0), or None without labels."""
    if gt_labels is None:
        return None
    labels = gt_inds.new_full(gt_inds.shape, -1)
    pos = gt_inds > 0
    labels[pos] = gt_labels[gt_inds[pos] - 1].long()
    return labels


def empty_result(num_gts: int, num_preds: int, ref: Tensor, gt_labels: Optional[Tensor],
                 default_ind: int = 0, with_overlaps: bool = True) -> AssignResult:
    """The result when there are no gts (all negative) or no predictions (empty)."""
    gt_inds = ref.new_full((num_preds,), 0 if num_gts == 0 else default_ind, dtype=torch.long)
    max_overlaps = ref.new_zeros((num_preds,)) if with_overlaps else None
    labels = None if gt_labels is None else ref.new_full((num_preds,), -1, dtype=torch.long)
    return AssignResult(num_gts, gt_inds, max_overlaps, labels=labels)


def last_true_gt(mask: Tensor) -> Tensor:
    """(G, N) bool -> (N,) int64: 1 + the *last* gt i with mask[i, n], else 0.

    Vectorises "for i in range(G): assigned[mask[i]] = i + 1", where later gts
    overwrite earlier ones. Only the few columns with any True are ranked, so no
    (G, N) integer matrix is built for N in the hundreds of thousands.
    """
    out = mask.new_zeros(mask.size(1), dtype=torch.long)
    if mask.numel() == 0:
        return out
    cols = mask.any(dim=0).nonzero().view(-1)
    if cols.numel():
        sub = mask[:, cols]
        ranks = torch.arange(1, mask.size(0) + 1, device=mask.device)[:, None]
        out[cols] = (sub.long() * ranks).max(dim=0).values
    return out


def centers_inside(centers_x: Tensor, centers_y: Tensor, gt_bboxes: Tensor,
                   margin: float = 0.01) -> Tensor:
    """(K, G) bool: centre (x[k, g], y[k, g]) lies more than ``margin`` inside gt g."""
    d = torch.stack([centers_x - gt_bboxes[:, 0], centers_y - gt_bboxes[:, 1],
                     gt_bboxes[:, 2] - centers_x, gt_bboxes[:, 3] - centers_y], dim=-1)
    return d.min(dim=-1).values > margin
