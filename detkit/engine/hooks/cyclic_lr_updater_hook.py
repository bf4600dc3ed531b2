"""CyclicLrUpdaterHook: ``lr_config = dict(policy='cyclic', target_ratio=(10, 1e-4))``."""

from __future__ import annotations

from typing import Any, Union

from ...registry import HOOKS
from .lr_updater_hook import LrUpdaterHook, annealing_cos, annealing_linear


def _target_ratio(name: str, target_ratio: Union[float, tuple]) -> tuple:
    if isinstance(target_ratio, (int, float)) and not isinstance(target_ratio, bool):
        return (target_ratio, target_ratio / 1e5)
    if isinstance(target_ratio, (tuple, list)):
        if len(target_ratio) == 1:
            return (target_ratio[0], target_ratio[0] / 1e5)
        if len(target_ratio) == 2:
            return tuple(target_ratio)
    raise ValueError(
        f'{name}: target_ratio must be a float or a tuple of 1 or 2 floats, but '
        f'got {target_ratio!r}'
    )


def anneal_function(name: str, anneal_strategy: str) -> Any:
    if anneal_strategy == 'cos':
        return annealing_cos
    if anneal_strategy == 'linear':
        return annealing_linear
    raise ValueError(
        f"{name}: anneal_strategy must be 'cos' or 'linear', but got {anneal_strategy!r}"
    )


@HOOKS.register_module()
class CyclicLrUpdaterHook(LrUpdaterHook):
    """Each of ``cyclic_times`` cycles rises from base_lr to ``target_ratio[0] * base_lr``
    during its first ``step_ratio_up`` fraction, then falls to ``target_ratio[1] * base_lr``.

    Cycle ``c`` is scaled by ``gamma ** c`` towards base_lr. Iteration-based only.

    Args:
        target_ratio (float | tuple[float]): (peak, end) relative to base_lr.
        cyclic_times (int): number of cycles in ``max_iters``.
        step_ratio_up (float): fraction of a cycle spent rising, in [0, 1).
        anneal_strategy (str): 'cos' or 'linear'.
        gamma (float): cycle-to-cycle amplitude decay, in (0, 1].
    """

    def __init__(
        self,
        by_epoch: bool = False,
        target_ratio: Union[float, tuple] = (10, 1e-4),
        cyclic_times: int = 1,
        step_ratio_up: float = 0.4,
        anneal_strategy: str = 'cos',
        gamma: float = 1,
        **kwargs: Any,
    ):
        name = type(self).__name__
        if by_epoch:
            raise ValueError(f'{name} only supports by_epoch=False')
        if not 0 <= step_ratio_up < 1.0:
            raise ValueError(f'{name}: step_ratio_up must be in [0, 1), but got {step_ratio_up}')
        if not 0 < gamma <= 1:
            raise ValueError(f'{name}: gamma must be in (0, 1], but got {gamma}')
        self.target_ratio = _target_ratio(name, target_ratio)
        self.cyclic_times = cyclic_times
        self.step_ratio_up = step_ratio_up
        self.gamma = gamma
        self.anneal_func = anneal_function(name, anneal_strategy)
        self.max_iter_per_phase: int = 0
        self.lr_phases: list = []  # [start_iter, end_iter, start_ratio, end_ratio]
        super().__init__(by_epoch=by_epoch, **kwargs)

    def before_run(self, runner: Any) -> None:
        super().before_run(runner)
        self.max_iter_per_phase = runner.max_iters // self.cyclic_times
        iter_up = int(self.step_ratio_up * self.max_iter_per_phase)
        self.lr_phases = [
            [0, iter_up, 1, self.target_ratio[0]],
            [iter_up, self.max_iter_per_phase, self.target_ratio[0], self.target_ratio[1]],
        ]

    def get_lr(self, runner: Any, base_lr: float) -> float:
        curr_iter = runner.iter % self.max_iter_per_phase
        scale = self.gamma ** (runner.iter // self.max_iter_per_phase)
        for start_iter, end_iter, start_ratio, end_ratio in self.lr_phases:
            if start_iter <= curr_iter < end_iter:
                # shrink this cycle's distance from base_lr by gamma ** cycle
                if start_iter == 0:
                    end_ratio = 1 - scale + end_ratio * scale
                else:
                    start_ratio = 1 - scale + start_ratio * scale
                return self.anneal_func(
                    base_lr * start_ratio,
                    base_lr * end_ratio,
                    (curr_iter - start_iter) / (end_iter - start_iter),
                )
        raise ValueError(
            f'CyclicLrUpdaterHook: iteration {runner.iter} is outside the phases {self.lr_phases}'
        )
