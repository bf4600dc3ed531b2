"""LinearAnnealingMomentumUpdaterHook: ``momentum_config = dict(policy='LinearAnnealing', ...)``."""

from __future__ import annotations

from typing import Any, Optional

from ...registry import HOOKS
from ._anneal_target import check_min_lr, target_value
from .lr_updater_hook import annealing_linear
from .momentum_updater_hook import MomentumUpdaterHook


@HOOKS.register_module()
class LinearAnnealingMomentumUpdaterHook(MomentumUpdaterHook):
    """``momentum = base + (target - base) * progress / max_progress``.

    Args:
        min_momentum (float, optional): the target; or
        min_momentum_ratio (float, optional): the target as a fraction of base.
    """

    def __init__(
        self,
        min_momentum: Optional[float] = None,
        min_momentum_ratio: Optional[float] = None,
        **kwargs: Any,
    ):
        check_min_lr(type(self).__name__, min_momentum, min_momentum_ratio, 'min_momentum')
        self.min_momentum = min_momentum
        self.min_momentum_ratio = min_momentum_ratio
        super().__init__(**kwargs)

    def get_momentum(self, runner: Any, base_momentum: float) -> float:
        if self.by_epoch:
            progress, max_progress = runner.epoch, runner.max_epochs
        else:
            progress, max_progress = runner.iter, runner.max_iters
        target = target_value(base_momentum, self.min_momentum, self.min_momentum_ratio)
        return annealing_linear(base_momentum, target, progress / max_progress)
