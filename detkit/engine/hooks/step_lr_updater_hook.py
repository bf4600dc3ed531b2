"""StepLrUpdaterHook: ``lr_config = dict(policy='step', step=[8, 11], gamma=0.1)``."""

from __future__ import annotations

from typing import Any, Optional, Union

from ...registry import HOOKS
from .lr_updater_hook import LrUpdaterHook


def step_exponent(progress: int, step: Union[int, list]) -> int:
    """How many decay steps lie at or before ``progress`` (int step: every ``step``)."""
    if isinstance(step, int):
        return progress // step
    return next((i for i, s in enumerate(step) if progress < s), len(step))


def check_step(name: str, step: Any) -> Union[int, list]:
    """``step`` as a positive int or a list of positive ints (a tuple becomes a list)."""
    if isinstance(step, (list, tuple)):
        if all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in step):
            return list(step)
    elif isinstance(step, int) and not isinstance(step, bool) and step > 0:
        return step
    raise TypeError(f'{name}: step must be a positive int or a list of them, but got {step!r}')


@HOOKS.register_module()
class StepLrUpdaterHook(LrUpdaterHook):
    """``lr = max(base_lr * gamma ** k, min_lr)``, k = the number of passed steps.

    Args:
        step (int | list[int]): decay every ``step`` epochs/iters, or at these
            epochs/iters (0-based progress, so ``step=[8, 11]`` decays for epochs 9 and 12).
        gamma (float): decay factor.
        min_lr (float, optional): lower bound.
        **kwargs: by_epoch and warmup arguments of LrUpdaterHook.
    """

    def __init__(
        self,
        step: Union[int, list],
        gamma: float = 0.1,
        min_lr: Optional[float] = None,
        **kwargs: Any,
    ):
        self.step = check_step(type(self).__name__, step)
        self.gamma = gamma
        self.min_lr = min_lr
        super().__init__(**kwargs)

    def get_lr(self, runner: Any, base_lr: float) -> float:
        progress = runner.epoch if self.by_epoch else runner.iter
        lr = base_lr * self.gamma ** step_exponent(progress, self.step)
        if self.min_lr is not None:
            lr = max(lr, self.min_lr)
        return lr
