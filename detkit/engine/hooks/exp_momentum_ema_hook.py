"""ExpMomentumEMAHook: EMA whose momentum decays exponentially towards ``momentum`` (YOLOX)."""

from __future__ import annotations

import math
from typing import Any

from ...registry import HOOKS
from .base_ema_hook import BaseEMAHook


@HOOKS.register_module()
class ExpMomentumEMAHook(BaseEMAHook):
    """``m(i) = (1 - momentum) * exp(-(1 + i) / total_iter) + momentum``.

    Early on the average follows the weights closely (m near 1); later it
    settles at ``momentum``.

    Args:
        total_iter (int): decay constant in iterations.
        **kwargs: BaseEMAHook arguments.
    """

    def __init__(self, total_iter: int = 2000, **kwargs: Any):
        super().__init__(**kwargs)
        self.total_iter = total_iter
        self.momentum_fun = lambda x: (
            (1 - self.momentum) * math.exp(-(1 + x) / total_iter) + self.momentum
        )
