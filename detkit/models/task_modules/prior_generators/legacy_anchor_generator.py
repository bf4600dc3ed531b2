"""Anchor generator of MMDetection 1.x (integer, "w - 1" pixel convention)."""
from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch import Tensor

from ....registry import PRIOR_GENERATORS
from .anchor_generator import AnchorGenerator


@PRIOR_GENERATORS.register_module()
class LegacyAnchorGenerator(AnchorGenerator):
    """MMDetection 1.x anchors, to evaluate models trained with it.

    Differences from :class:`AnchorGenerator`: the centre is
    ``center_offset * (base_size - 1)``, the corners are centre -/+ 0.5 * (size - 1),
    and the base anchors are rounded to integers. 1.x models used
    ``center_offset=0.5``. Arguments are those of :class:`AnchorGenerator`.
    """

    def gen_single_level_base_anchors(self, base_size: float, scales: Tensor, ratios: Tensor,
                                      center: Optional[Sequence[float]] = None) -> Tensor:
        """(A, 4) rounded base anchors of one level."""
        if center is None:
            cx = cy = self.center_offset * (base_size - 1)
        else:
            cx, cy = center
        ws, hs = self._base_wh(base_size, scales, ratios)
        return torch.stack([cx - 0.5 * (ws - 1), cy - 0.5 * (hs - 1),
                            cx + 0.5 * (ws - 1), cy + 0.5 * (hs - 1)], dim=-1).round()
