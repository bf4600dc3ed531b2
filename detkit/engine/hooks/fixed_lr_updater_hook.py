"""FixedLrUpdaterHook: ``lr_config = dict(policy='fixed')``, a constant lr (warmup allowed)."""

from __future__ import annotations

from typing import Any

from ...registry import HOOKS
from .lr_updater_hook import LrUpdaterHook


@HOOKS.register_module()
class FixedLrUpdaterHook(LrUpdaterHook):
    """``lr = base_lr`` (only the warmup changes it)."""

    def get_lr(self, runner: Any, base_lr: float) -> float:
        return base_lr
