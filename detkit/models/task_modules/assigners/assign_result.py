"""``AssignResult``: which ground-truth box each prior/proposal was matched to."""
from __future__ import annotations

from typing import Any, Optional

import torch
from torch import Tensor


class AssignResult:
    """The result of an assigner.

    Args:
        num_gts (int): number of ground-truth boxes G considered.
        gt_inds (Tensor): (N,) int64 per prediction: 0 negative, -1 ignored,
            k > 0 matched to gt k - 1.
        max_overlaps (Tensor | None): (N,) the overlap (or score) of each prediction
            with its assigned gt.
        labels (Tensor | None): (N,) int64 class of the assigned gt, -1 elsewhere.

    Extra, assigner-specific results live in :attr:`info` via
    :meth:`set_extra_property` (e.g. ``shadowed_labels`` of CenterRegionAssigner).
    """

    def __init__(self, num_gts: int, gt_inds: Tensor, max_overlaps: Optional[Tensor],
                 labels: Optional[Tensor] = None):
        self.num_gts = num_gts
        self.gt_inds = gt_inds
        self.max_overlaps = max_overlaps
        self.labels = labels
        self._extra_properties: dict = {}

    @property
    def num_preds(self) -> int:
        """int: number of predictions (priors/proposals) N."""
        return len(self.gt_inds)

    def set_extra_property(self, key: str, value: Any) -> None:
        """Attach an assigner-specific result under ``key`` (not a basic field)."""
        if key in self.info:
            raise KeyError(f'AssignResult: {key!r} is already a property')
        self._extra_properties[key] = value

    def get_extra_property(self, key: str) -> Any:
        """The extra property ``key``, or None."""
        return self._extra_properties.get(key, None)

    @property
    def info(self) -> dict:
        """dict: the basic fields and the extra properties."""
        basic = dict(num_gts=self.num_gts, num_preds=self.num_preds, gt_inds=self.gt_inds,
                     max_overlaps=self.max_overlaps, labels=self.labels)
        basic.update(self._extra_properties)
        return basic

    def add_gt_(self, gt_labels: Tensor) -> None:
        """Prepend the G ground truths as predictions matched to themselves (in place).

        Args:
            gt_labels (Tensor): (G,) labels of the ground truths.
        """
        self_inds = torch.arange(1, len(gt_labels) + 1, dtype=torch.long,
                                 device=gt_labels.device)
        self.gt_inds = torch.cat([self_inds, self.gt_inds])
        self.max_overlaps = torch.cat([self.max_overlaps.new_ones(len(gt_labels)),
                                       self.max_overlaps])
        if self.labels is not None:
            self.labels = torch.cat([gt_labels, self.labels])

    def __repr__(self) -> str:
        parts = [f'num_gts={self.num_gts}', f'num_preds={self.num_preds}']
        for name in ('gt_inds', 'max_overlaps', 'labels'):
            value = getattr(self, name)
            parts.append(f'{name}.shape={tuple(value.shape)}' if value is not None
                         else f'{name}=None')
        return f'<AssignResult({", ".join(parts)})>'
