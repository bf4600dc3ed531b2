"""FlatCosineAnnealingLrUpdaterHook: flat, then cosine from ``start_percent`` of training."""

from __future__ import annotations

from typing import Any, Optional

from ...registry import HOOKS
from ._anneal_target import check_min_lr, target_value
from .lr_updater_hook import LrUpdaterHook, annealing_cos


@HOOKS.register_module()
class FlatCosineAnnealingLrUpdaterHook(LrUpdaterHook):
    """``lr = base_lr`` until ``start = round(max_progress * start_percent)``, then cosine.

    Args:
        start_percent (float): in [0, 1).
        min_lr / min_lr_ratio: the target, as in CosineAnnealingLrUpdaterHook.
    """

    def __init__(
        self,
        start_percent: float = 0.75,
        min_lr: Optional[float] = None,
        min_lr_ratio: Optional[float] = None,
        **kwargs: Any,
    ):
        check_min_lr(type(self).__name__, min_lr, min_lr_ratio)
        if not (isinstance(start_percent, float) and 0 <= start_percent <= 1):
            raise ValueError(
                'FlatCosineAnnealingLrUpdaterHook: start_percent must be a float '
                f'in [0, 1], but got {start_percent!r}'
            )
        self.start_percent = start_percent
        self.min_lr = min_lr
        self.min_lr_ratio = min_lr_ratio
        super().__init__(**kwargs)

    def get_lr(self, runner: Any, base_lr: float) -> float:
        if self.by_epoch:
            progress, max_progress = runner.epoch, runner.max_epochs
        else:
            progress, max_progress = runner.iter, runner.max_iters
        start = round(max_progress * self.start_percent)
        if progress < start:
            return base_lr
        target = target_value(base_lr, self.min_lr, self.min_lr_ratio)
        return annealing_cos(base_lr, target, (progress - start) / (max_progress - start))
