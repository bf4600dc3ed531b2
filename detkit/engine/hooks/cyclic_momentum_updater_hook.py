"""CyclicMomentumUpdaterHook: ``momentum_config = dict(policy='cyclic', ...)``, paired with a
cyclic lr: momentum falls while the lr rises, and rises back."""

from __future__ import annotations

from typing import Any, Union

from ...registry import HOOKS
from .cyclic_lr_updater_hook import _target_ratio, anneal_function
from .momentum_updater_hook import MomentumUpdaterHook


@HOOKS.register_module()
class CyclicMomentumUpdaterHook(MomentumUpdaterHook):
    """Per cycle: base -> ``target_ratio[0] * base`` over ``step_ratio_up`` of the cycle,
    then -> ``target_ratio[1] * base``; cycle ``c`` scaled by ``gamma ** c`` towards base.

    Args:
        target_ratio (tuple[float]): default (0.85 / 0.95, 1).
        cyclic_times (int), step_ratio_up (float), anneal_strategy (str), gamma (float):
            as in CyclicLrUpdaterHook.
    """

    def __init__(
        self,
        by_epoch: bool = False,
        target_ratio: Union[float, tuple] = (0.85 / 0.95, 1),
        cyclic_times: int = 1,
        step_ratio_up: float = 0.4,
        anneal_strategy: str = 'cos',
        gamma: float = 1.0,
        **kwargs: Any,
    ):
        name = type(self).__name__
        if by_epoch:
            raise ValueError(f'{name} only supports by_epoch=False')
        if not 0 <= step_ratio_up < 1.0:
            raise ValueError(f'{name}: step_ratio_up must be in [0, 1), but got {step_ratio_up}')
        self.target_ratio = _target_ratio(name, target_ratio)
        self.cyclic_times = cyclic_times
        self.step_ratio_up = step_ratio_up
        self.gamma = gamma
        self.anneal_func = anneal_function(name, anneal_strategy)
        self.max_iter_per_phase = 0
        self.momentum_phases: list = []
        super().__init__(by_epoch=by_epoch, **kwargs)

    def before_run(self, runner: Any) -> None:
        super().before_run(runner)
        self.max_iter_per_phase = runner.max_iters // self.cyclic_times
        iter_up = int(self.step_ratio_up * self.max_iter_per_phase)
        self.momentum_phases = [
            [0, iter_up, 1, self.target_ratio[0]],
            [iter_up, self.max_iter_per_phase, self.target_ratio[0], self.target_ratio[1]],
        ]

    def get_momentum(self, runner: Any, base_momentum: float) -> float:
        curr_iter = runner.iter % self.max_iter_per_phase
        scale = self.gamma ** (runner.iter // self.max_iter_per_phase)
        for start_iter, end_iter, start_ratio, end_ratio in self.momentum_phases:
            if start_iter <= curr_iter < end_iter:
                if start_iter == 0:
                    end_ratio = 1 - scale + end_ratio * scale
                else:
                    start_ratio = 1 - scale + start_ratio * scale
                return self.anneal_func(
                    base_momentum * start_ratio,
                    base_momentum * end_ratio,
                    (curr_iter - start_iter) / (end_iter - start_iter),
                )
        raise ValueError(
            f'CyclicMomentumUpdaterHook: iteration {runner.iter} is outside the '
            f'phases {self.momentum_phases}'
        )
