"""MomentumUpdaterHook: the base of momentum schedules (mmcv 1.x formulas).

Momentum means SGD's ``momentum`` or the Adam family's ``betas[0]``. Warmup
divides the regular momentum by the lr-warmup factor (so momentum is high
while the lr is low): constant ``m / ratio``, linear ``m / (1 - k)`` with
``k = (1 - i / warmup_iters) * (1 - ratio)``, exp ``m / ratio ** (1 - i / warmup_iters)``.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any, Optional, Union

from .hook import Hook
from .lr_updater_hook import WARMUP_TYPES


def _groups(runner: Any) -> dict:
    if isinstance(runner.optimizer, dict):
        return {k: o.param_groups for k, o in runner.optimizer.items()}
    return {None: runner.optimizer.param_groups}


def _unwrap(values: dict) -> Union[list, dict]:
    return values[None] if list(values) == [None] else values


class MomentumUpdaterHook(Hook, metaclass=ABCMeta):
    """Sets every param group's momentum from ``get_momentum`` and the warmup.

    Args:
        by_epoch (bool): progress is the epoch (else the iteration).
        warmup (str, optional): 'constant', 'linear' or 'exp'.
        warmup_iters (int): warmup length in iterations.
        warmup_ratio (float): see the module docstring.
    """

    def __init__(
        self,
        by_epoch: bool = True,
        warmup: Optional[str] = None,
        warmup_iters: int = 0,
        warmup_ratio: float = 0.9,
    ):
        if warmup is not None:
            if warmup not in WARMUP_TYPES:
                raise ValueError(
                    f'{type(self).__name__}: {warmup!r} is not a supported warmup; '
                    f'accepted: {", ".join(WARMUP_TYPES)}'
                )
            if warmup_iters <= 0 or not 0 < warmup_ratio <= 1.0:
                raise ValueError(
                    f'{type(self).__name__}: warmup needs warmup_iters > 0 and '
                    f'warmup_ratio in (0, 1], but got {warmup_iters}, {warmup_ratio}'
                )
        self.by_epoch = by_epoch
        self.warmup = warmup
        self.warmup_iters = warmup_iters
        self.warmup_ratio = warmup_ratio
        self.base_momentum: Union[list, dict] = []
        self.regular_mom: Union[list, dict] = []

    @abstractmethod
    def get_momentum(self, runner: Any, base_momentum: float) -> float:
        """The scheduled momentum of a param group whose initial momentum is ``base_momentum``."""

    @staticmethod
    def _set_momentum(runner: Any, momentum_groups: Union[list, dict]) -> None:
        values = momentum_groups if isinstance(momentum_groups, dict) else {None: momentum_groups}
        for k, groups in _groups(runner).items():
            for group, mom in zip(groups, values[k]):
                if 'momentum' in group:
                    group['momentum'] = mom
                elif 'betas' in group:
                    group['betas'] = (mom, group['betas'][1])

    def get_regular_momentum(self, runner: Any) -> Union[list, dict]:
        base = (
            self.base_momentum
            if isinstance(self.base_momentum, dict)
            else {None: self.base_momentum}
        )
        return _unwrap({k: [self.get_momentum(runner, m) for m in v] for k, v in base.items()})

    def get_warmup_momentum(self, cur_iters: int) -> Union[list, dict]:
        if self.warmup == 'constant':
            factor = self.warmup_ratio
        elif self.warmup == 'linear':
            factor = 1 - (1 - cur_iters / self.warmup_iters) * (1 - self.warmup_ratio)
        else:
            factor = self.warmup_ratio ** (1 - cur_iters / self.warmup_iters)
        regular = (
            self.regular_mom if isinstance(self.regular_mom, dict) else {None: self.regular_mom}
        )
        return _unwrap({k: [m / factor for m in v] for k, v in regular.items()})

    def before_run(self, runner: Any) -> None:
        base = {}
        for k, groups in _groups(runner).items():
            for group in groups:
                if 'momentum' in group:
                    group.setdefault('initial_momentum', group['momentum'])
                elif 'betas' in group:
                    group.setdefault('initial_momentum', group['betas'][0])
                else:
                    raise ValueError(
                        f'{type(self).__name__}: the optimizer has neither '
                        'momentum nor betas to schedule'
                    )
            base[k] = [g['initial_momentum'] for g in groups]
        self.base_momentum = _unwrap(base)

    def before_train_epoch(self, runner: Any) -> None:
        if not self.by_epoch:
            return
        self.regular_mom = self.get_regular_momentum(runner)
        self._set_momentum(runner, self.regular_mom)

    def before_train_iter(self, runner: Any) -> None:
        cur_iter = runner.iter
        if not self.by_epoch:
            self.regular_mom = self.get_regular_momentum(runner)
            if self.warmup is None or cur_iter >= self.warmup_iters:
                self._set_momentum(runner, self.regular_mom)
            else:
                self._set_momentum(runner, self.get_warmup_momentum(cur_iter))
        elif self.warmup is not None and cur_iter <= self.warmup_iters:
            if cur_iter == self.warmup_iters:
                self._set_momentum(runner, self.regular_mom)
            else:
                self._set_momentum(runner, self.get_warmup_momentum(cur_iter))
