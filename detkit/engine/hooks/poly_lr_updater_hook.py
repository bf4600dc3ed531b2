"""PolyLrUpdaterHook: ``lr_config = dict(policy='poly', power=0.9, min_lr=1e-4)``."""

from __future__ import annotations

from typing import Any

from ...registry import HOOKS
from .lr_updater_hook import LrUpdaterHook


@HOOKS.register_module()
class PolyLrUpdaterHook(LrUpdaterHook):
    """``lr = (base_lr - min_lr) * (1 - progress / max_progress) ** power + min_lr``."""

    def __init__(self, power: float = 1.0, min_lr: float = 0.0, **kwargs: Any):
        self.power = power
        self.min_lr = min_lr
        super().__init__(**kwargs)

    def get_lr(self, runner: Any, base_lr: float) -> float:
        if self.by_epoch:
            progress, max_progress = runner.epoch, runner.max_epochs
        else:
            progress, max_progress = runner.iter, runner.max_iters
        coeff = (1 - progress / max_progress) ** self.power
        return (base_lr - self.min_lr) * coeff + self.min_lr
