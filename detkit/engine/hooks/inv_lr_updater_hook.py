"""InvLrUpdaterHook: ``lr_config = dict(policy='inv', gamma=1e-4, power=0.75)``."""

from __future__ import annotations

from typing import Any

from ...registry import HOOKS
from .lr_updater_hook import LrUpdaterHook


@HOOKS.register_module()
class InvLrUpdaterHook(LrUpdaterHook):
    """``lr = base_lr * (1 + gamma * progress) ** (-power)``."""

    def __init__(self, gamma: float, power: float = 1.0, **kwargs: Any):
        self.gamma = gamma
        self.power = power
        super().__init__(**kwargs)

    def get_lr(self, runner: Any, base_lr: float) -> float:
        progress = runner.epoch if self.by_epoch else runner.iter
        return base_lr * (1 + self.gamma * progress) ** (-self.power)
