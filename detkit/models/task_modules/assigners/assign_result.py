"""``AssignResult``: which ground-truth box each prior/proposal was matched to."""
from __future__ import annotations

from typing import Any, Optional, Union

import numpy as np
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

    @classmethod
    def random(cls, num_preds: Optional[int] = None, num_gts: Optional[int] = None,
               p_ignore: float = 0.3, p_assigned: float = 0.7,
               p_use_label: Union[float, bool] = 0.5, num_classes: int = 3,
               rng: Union[None, int, np.random.RandomState] = None) -> AssignResult:
        """A random, internally consistent AssignResult, for tests and debugging.

        Args:
            num_preds (int, optional): predictions (random in [0, 16) when None).
            num_gts (int, optional): gts (random in [0, 16) when None).
            p_ignore (float): chance that an unassigned prediction is ignored.
            p_assigned (float): chance that a prediction is matched (each gt is used
                at most once).
            p_use_label (float | bool): chance (or whether) to attach labels.
            num_classes (int): labels are in [0, num_classes).
            rng (int | numpy.random.RandomState, optional): seed or state.

        Example:
            >>> AssignResult.random(num_preds=5, num_gts=2, rng=0).num_preds
            5
        """
        rng = rng if isinstance(rng, np.random.RandomState) else np.random.RandomState(rng)
        num_preds = rng.randint(0, 16) if num_preds is None else num_preds
        num_gts = rng.randint(0, 16) if num_gts is None else num_gts
        max_overlaps = torch.from_numpy(rng.rand(num_preds)).float()
        gt_inds = torch.zeros(num_preds, dtype=torch.long)
        if num_gts > 0 and num_preds > 0:
            wanted = np.nonzero(rng.rand(num_preds) < p_assigned)[0]
            wanted = wanted[:min(len(wanted), num_gts)]
            gt_inds[torch.from_numpy(wanted)] = torch.from_numpy(
                rng.permutation(num_gts)[:len(wanted)] + 1).long()
            ignored = torch.from_numpy(rng.rand(num_preds) < p_ignore) & (gt_inds == 0)
            gt_inds[ignored] = -1
        use_label = p_use_label if isinstance(p_use_label, bool) else rng.rand() < p_use_label
        labels = None
        if use_label:
            gt_labels = torch.from_numpy(rng.randint(0, num_classes, size=max(num_gts, 1)))
            labels = torch.where(gt_inds > 0, gt_labels.long()[(gt_inds - 1).clamp(min=0)],
                                 torch.full_like(gt_inds, -1))
        return cls(num_gts, gt_inds, max_overlaps, labels=labels)

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
