"""StepMomentumUpdaterHook: ``momentum_config = dict(policy='step', step=[8], gamma=0.5)``."""

from __future__ import annotations

from typing import Any, Optional, Union

from ...registry import HOOKS
from .momentum_updater_hook import MomentumUpdaterHook
from .step_lr_updater_hook import step_exponent


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
        if not (isinstance(step, int) and step > 0) and not (
            isinstance(step, list) and all(isinstance(s, int) and s > 0 for s in step)
        ):
            raise TypeError(
                'StepMomentumUpdaterHook: step must be a positive int or a list of '
                f'them, but got {step!r}'
            )
        self.step = step
        self.gamma = gamma
        self.min_momentum = min_momentum
        super().__init__(**kwargs)

    def get_momentum(self, runner: Any, base_momentum: float) -> float:
        progress = runner.epoch if self.by_epoch else runner.iter
        momentum = base_momentum * self.gamma ** step_exponent(progress, self.step)
        if self.min_momentum is not None:
            momentum = max(momentum, self.min_momentum)
        return momentum
