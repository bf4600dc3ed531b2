"""StepMomentumUpdaterHook: ``momentum_config = dict(policy='step', step=[8], gamma=0.5)``."""

from __future__ import annotations

from typing import Any, Optional, Union

from ...registry import HOOKS
from .momentum_updater_hook import MomentumUpdaterHook
from .step_lr_updater_hook import check_step, step_exponent


@HOOKS.register_module()
class StepMomentumUpdaterHook(MomentumUpdaterHook):
    """``momentum = max(base * gamma ** k, min_momentum)``, k = passed steps."""

    def __init__(
        self,
        step: Union[int, list],
        gamma: float = 0.5,
        min_momentum: Optional[float] = None,
        **kwargs: Any,
    ):
        self.step = check_step(type(self).__name__, step)
        self.gamma = gamma
        self.min_momentum = min_momentum
        super().__init__(**kwargs)

    def get_momentum(self, runner: Any, base_momentum: float) -> float:
        progress = runner.epoch if self.by_epoch else runner.iter
        momentum = base_momentum * self.gamma ** step_exponent(progress, self.step)
        if self.min_momentum is not None:
            momentum = max(momentum, self.min_momentum)
        return momentum
