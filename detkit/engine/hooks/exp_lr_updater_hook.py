"""ExpLrUpdaterHook: ``lr_config = dict(policy='exp', gamma=0.99)``."""

from __future__ import annotations

from typing import Any

from ...registry import HOOKS
from .lr_updater_hook import LrUpdaterHook


@HOOKS.register_module()
class ExpLrUpdaterHook(LrUpdaterHook):
    """``lr = base_lr * gamma ** progress`` (progress: epoch or iteration)."""

    def __init__(self, gamma: float, **kwargs: Any):
        self.gamma = gamma
        super().__init__(**kwargs)

    def get_lr(self, runner: Any, base_lr: float) -> float:
        progress = runner.epoch if self.by_epoch else runner.iter
        return base_lr * self.gamma**progress
