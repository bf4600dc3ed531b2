"""CosineRestartLrUpdaterHook: cosine annealing with warm restarts (SGDR)."""

from __future__ import annotations

from typing import Any, Optional

from ...registry import HOOKS
from ._anneal_target import check_min_lr, target_value
from .lr_updater_hook import LrUpdaterHook, annealing_cos


def get_position_from_periods(iteration: int, cumulative_periods: list) -> int:
    """Index of the period ``iteration`` falls in (periods given by their cumulative ends)."""
    for i, period in enumerate(cumulative_periods):
        if iteration < period:
            return i
    raise ValueError(
        f'Current iteration {iteration} exceeds cumulative_periods {cumulative_periods}'
    )


@HOOKS.register_module()
class CosineRestartLrUpdaterHook(LrUpdaterHook):
    """Cosine from ``weight * base_lr + (1 - weight) * target`` to target, per period.

    Args:
        periods (list[int]): length of each cosine period (epochs or iterations).
        restart_weights (list[float]): the restart weight of each period.
        min_lr / min_lr_ratio: the target.
    """

    def __init__(
        self,
        periods: list,
        restart_weights: list = [1],  # noqa: B006 (mmcv default)
        min_lr: Optional[float] = None,
        min_lr_ratio: Optional[float] = None,
        **kwargs: Any,
    ):
        check_min_lr(type(self).__name__, min_lr, min_lr_ratio)
        if len(periods) != len(restart_weights):
            raise ValueError(
                'CosineRestartLrUpdaterHook: periods and restart_weights must have '
                f'the same length, but got {periods} and {restart_weights}'
            )
        self.periods = list(periods)
        self.restart_weights = list(restart_weights)
        self.min_lr = min_lr
        self.min_lr_ratio = min_lr_ratio
        self.cumulative_periods = [sum(self.periods[: i + 1]) for i in range(len(self.periods))]
        super().__init__(**kwargs)

    def get_lr(self, runner: Any, base_lr: float) -> float:
        progress = runner.epoch if self.by_epoch else runner.iter
        target = target_value(base_lr, self.min_lr, self.min_lr_ratio)
        idx = get_position_from_periods(progress, self.cumulative_periods)
        nearest_restart = 0 if idx == 0 else self.cumulative_periods[idx - 1]
        alpha = min((progress - nearest_restart) / self.periods[idx], 1)
        return annealing_cos(base_lr, target, alpha, self.restart_weights[idx])
