"""CosineAnnealingLrUpdaterHook: ``lr_config = dict(policy='CosineAnnealing', min_lr=0)``."""

from __future__ import annotations

from typing import Any, Optional

from ...registry import HOOKS
from ._anneal_target import check_min_lr, target_value
from .lr_updater_hook import LrUpdaterHook, annealing_cos


@HOOKS.register_module()
class CosineAnnealingLrUpdaterHook(LrUpdaterHook):
    """``lr = annealing_cos(base_lr, target, progress / max_progress)``.

    Args:
        min_lr (float, optional): the target lr; or
        min_lr_ratio (float, optional): the target as a fraction of base_lr.
    """

    def __init__(
        self, min_lr: Optional[float] = None, min_lr_ratio: Optional[float] = None, **kwargs: Any
    ):
        check_min_lr(type(self).__name__, min_lr, min_lr_ratio)
        self.min_lr = min_lr
        self.min_lr_ratio = min_lr_ratio
        super().__init__(**kwargs)

    def get_lr(self, runner: Any, base_lr: float) -> float:
        if self.by_epoch:
            progress, max_progress = runner.epoch, runner.max_epochs
        else:
            progress, max_progress = runner.iter, runner.max_iters
        target = target_value(base_lr, self.min_lr, self.min_lr_ratio)
        return annealing_cos(base_lr, target, progress / max_progress)
