"""LinearMomentumEMAHook: EMA with a momentum that warms up linearly (MMDetection 2.x)."""

from __future__ import annotations

from typing import Any

from ...registry import HOOKS
from .base_ema_hook import BaseEMAHook


@HOOKS.register_module()
class LinearMomentumEMAHook(BaseEMAHook):
    """EMA with momentum ``min(momentum ** interval, (1 + i) / (warm_up + i))``.

    Args:
        warm_up (int): warmup constant in iterations.
        **kwargs: BaseEMAHook arguments.
    """

    def __init__(self, warm_up: int = 100, **kwargs: Any):
        super().__init__(**kwargs)
        self.warm_up = warm_up
        self.momentum_fun = lambda x: min(self.momentum**self.interval, (1 + x) / (warm_up + x))
