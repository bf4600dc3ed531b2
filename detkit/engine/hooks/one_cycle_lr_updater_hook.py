"""OneCycleLrUpdaterHook: ``lr_config = dict(policy='OneCycle', max_lr=0.1)`` (1cycle policy)."""

from __future__ import annotations

import numbers
from typing import Any, Optional, Union

from ...registry import HOOKS
from .cyclic_lr_updater_hook import anneal_function
from .lr_updater_hook import LrUpdaterHook, format_param


@HOOKS.register_module()
class OneCycleLrUpdaterHook(LrUpdaterHook):
    """Rise from ``max_lr / div_factor`` to ``max_lr`` over ``pct_start`` of the steps,
    then anneal to ``max_lr / div_factor / final_div_factor`` (https://arxiv.org/abs/1708.07120).

    Args:
        max_lr (float | list | dict): peak lr (per param group / per optimizer).
        total_steps (int, optional): defaults to the runner's max_iters.
        pct_start (float): fraction of steps spent rising.
        anneal_strategy (str): 'cos' or 'linear'.
        div_factor (float): initial lr = max_lr / div_factor.
        final_div_factor (float): final lr = initial lr / final_div_factor.
        three_phase (bool): rise, fall back to the initial lr symmetrically, then anneal.
    """

    def __init__(
        self,
        max_lr: Union[float, list, dict],
        total_steps: Optional[int] = None,
        pct_start: float = 0.3,
        anneal_strategy: str = 'cos',
        div_factor: float = 25,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        **kwargs: Any,
    ):
        name = type(self).__name__
        if kwargs.setdefault('by_epoch', False):
            raise ValueError(f'{name} only supports by_epoch=False')
        if not isinstance(max_lr, (numbers.Number, list, dict)):
            raise ValueError(
                f'{name}: max_lr must be a number, a list or a dict, but got '
                f'{type(max_lr).__name__}'
            )
        if total_steps is not None and not isinstance(total_steps, int):
            raise ValueError(f'{name}: total_steps must be an int, but got {total_steps!r}')
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f'{name}: pct_start must be a float in [0, 1], but got {pct_start!r}')
        self._max_lr = max_lr
        self.total_steps = total_steps
        self.pct_start = pct_start
        self.anneal_func = anneal_function(name, anneal_strategy)
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        self.three_phase = three_phase
        self.lr_phases: list = []  # [end_iter, start_factor, end_factor] relative to base_lr
        super().__init__(**kwargs)

    def before_run(self, runner: Any) -> None:
        total_steps = self.total_steps if self.total_steps is not None else runner.max_iters
        if total_steps < runner.max_iters:
            raise ValueError(
                f'OneCycleLrUpdaterHook: total_steps ({total_steps}) must be >= '
                f'the runner max_iters ({runner.max_iters})'
            )
        optimizers = (
            runner.optimizer
            if isinstance(runner.optimizer, dict)
            else {type(runner.optimizer).__name__: runner.optimizer}
        )
        base = {}
        for k, optim in optimizers.items():
            base[k] = [lr / self.div_factor for lr in format_param(k, optim, self._max_lr)]
            for group, lr in zip(optim.param_groups, base[k]):
                group.setdefault('initial_lr', lr)
        self.base_lr = base if isinstance(runner.optimizer, dict) else next(iter(base.values()))
        up_end = float(self.pct_start * total_steps) - 1
        if self.three_phase:
            self.lr_phases = [
                [up_end, 1, self.div_factor],
                [float(2 * self.pct_start * total_steps) - 2, self.div_factor, 1],
                [total_steps - 1, 1, 1 / self.final_div_factor],
            ]
        else:
            self.lr_phases = [
                [up_end, 1, self.div_factor],
                [total_steps - 1, self.div_factor, 1 / self.final_div_factor],
            ]

    def get_lr(self, runner: Any, base_lr: float) -> float:
        start_iter = 0.0
        for end_iter, start_factor, end_factor in self.lr_phases:
            if runner.iter <= end_iter:
                pct = (runner.iter - start_iter) / (end_iter - start_iter)
                return self.anneal_func(base_lr * start_factor, base_lr * end_factor, pct)
            start_iter = end_iter
        raise ValueError(
            f'OneCycleLrUpdaterHook: iteration {runner.iter} is past the last '
            f'phase {self.lr_phases}'
        )
