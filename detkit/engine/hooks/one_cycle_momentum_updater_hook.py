"""OneCycleMomentumUpdaterHook: the momentum half of the 1cycle policy."""

from __future__ import annotations

from typing import Any, Union

from ...registry import HOOKS
from .cyclic_lr_updater_hook import anneal_function
from .lr_updater_hook import format_param
from .momentum_updater_hook import MomentumUpdaterHook, _groups


@HOOKS.register_module()
class OneCycleMomentumUpdaterHook(MomentumUpdaterHook):
    """Momentum falls from ``max_momentum`` to ``base_momentum`` while the lr rises
    (``pct_start`` of ``max_iters``), then rises back (three_phase: stays at max at the end).

    Args:
        base_momentum (float | list | dict): the low end (default 0.85).
        max_momentum (float | list | dict): the high end (default 0.95).
        pct_start (float), anneal_strategy (str), three_phase (bool): as in
            OneCycleLrUpdaterHook.
    """

    def __init__(
        self,
        base_momentum: Union[float, list, dict] = 0.85,
        max_momentum: Union[float, list, dict] = 0.95,
        pct_start: float = 0.3,
        anneal_strategy: str = 'cos',
        three_phase: bool = False,
        **kwargs: Any,
    ):
        name = type(self).__name__
        if kwargs.setdefault('by_epoch', False):
            raise ValueError(f'{name} only supports by_epoch=False')
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f'{name}: pct_start must be a float in [0, 1], but got {pct_start!r}')
        self._base_momentum = base_momentum
        self._max_momentum = max_momentum
        self.pct_start = pct_start
        self.anneal_func = anneal_function(name, anneal_strategy)
        self.three_phase = three_phase
        self.momentum_phases: list = []
        super().__init__(**kwargs)

    def before_run(self, runner: Any) -> None:
        for k, groups in _groups(runner).items():
            optim = runner.optimizer[k] if k is not None else runner.optimizer
            name = k if k is not None else type(optim).__name__
            if 'momentum' not in optim.defaults and 'betas' not in optim.defaults:
                raise ValueError(
                    f'OneCycleMomentumUpdaterHook: {name} has neither momentum nor betas'
                )
            lows = format_param(name, optim, self._base_momentum)
            highs = format_param(name, optim, self._max_momentum)
            for group, low, high in zip(groups, lows, highs):
                if 'betas' in optim.defaults:
                    group['betas'] = (high, group['betas'][1])
                else:
                    group['momentum'] = high
                group['base_momentum'] = low
                group['max_momentum'] = high
        n = runner.max_iters
        up_end = float(self.pct_start * n) - 1
        if self.three_phase:
            self.momentum_phases = [
                (up_end, 'max_momentum', 'base_momentum'),
                (float(2 * self.pct_start * n) - 2, 'base_momentum', 'max_momentum'),
                (n - 1, 'max_momentum', 'max_momentum'),
            ]
        else:
            self.momentum_phases = [
                (up_end, 'max_momentum', 'base_momentum'),
                (n - 1, 'base_momentum', 'max_momentum'),
            ]

    def _momentum_of_group(self, runner: Any, group: dict) -> float:
        start_iter = 0.0
        for i, (end_iter, start_key, end_key) in enumerate(self.momentum_phases):
            if runner.iter <= end_iter or i == len(self.momentum_phases) - 1:
                pct = (runner.iter - start_iter) / (end_iter - start_iter)
                return self.anneal_func(group[start_key], group[end_key], pct)
            start_iter = end_iter
        raise ValueError('OneCycleMomentumUpdaterHook has no phases; before_run was not called')

    def get_momentum(self, runner: Any, base_momentum: float) -> float:
        # the per-group ends live in the param groups; see get_regular_momentum
        return base_momentum

    def get_regular_momentum(self, runner: Any) -> Union[list, dict]:
        values = {
            k: [self._momentum_of_group(runner, g) for g in groups]
            for k, groups in _groups(runner).items()
        }
        return values[None] if list(values) == [None] else values
