"""LrUpdaterHook: the base of the learning-rate schedules, with warmup (mmcv 1.x formulas).

A policy subclass defines ``get_lr(runner, base_lr)``: the lr at the
runner's current epoch (``by_epoch=True``, set at the start of each epoch)
or iteration (``by_epoch=False``, set before each iteration). Warmup scales
the scheduled ("regular") lr during the first ``warmup_iters`` iterations:

- constant: ``lr = regular * warmup_ratio``
- linear:   ``lr = regular * (1 - (1 - i / warmup_iters) * (1 - warmup_ratio))``
- exp:      ``lr = regular * warmup_ratio ** (1 - i / warmup_iters)``

where ``i`` is the global iteration. With ``warmup_by_epoch``,
``warmup_iters`` counts epochs and is converted with the loader length.
"""

from __future__ import annotations

import numbers
from abc import ABCMeta, abstractmethod
from math import cos, pi
from typing import Any, Optional, Union

from .hook import Hook

WARMUP_TYPES = ('constant', 'linear', 'exp')


def annealing_cos(start: float, end: float, factor: float, weight: float = 1.0) -> float:
    """Cosine from ``weight * start + (1 - weight) * end`` (factor 0) to ``end`` (factor 1)."""
    return end + 0.5 * weight * (start - end) * (cos(pi * factor) + 1)


def annealing_linear(start: float, end: float, factor: float) -> float:
    """Straight line from ``start`` (factor 0) to ``end`` (factor 1)."""
    return start + (end - start) * factor


def format_param(name: str, optim: Any, param: Union[float, list, dict]) -> list:
    """One value per param group of ``optim`` from a number, a list, or a dict by optimizer name."""
    if isinstance(param, numbers.Number):
        return [param] * len(optim.param_groups)
    if isinstance(param, (list, tuple)):
        if len(param) != len(optim.param_groups):
            raise ValueError(
                f'expected {len(optim.param_groups)} values for {name} (one per '
                f'param group), got {len(param)}'
            )
        return list(param)
    if name not in param:
        raise KeyError(f'{name} is not found in {list(param.keys())}')
    return param[name]


class LrUpdaterHook(Hook, metaclass=ABCMeta):
    """Sets every param group's lr from the policy's ``get_lr`` and the warmup.

    Args:
        by_epoch (bool): the policy's progress is the epoch (else the iteration).
        warmup (str, optional): 'constant', 'linear' or 'exp'.
        warmup_iters (int): warmup length in iterations (epochs if warmup_by_epoch).
        warmup_ratio (float): the lr at iteration 0 is ``warmup_ratio * lr``.
        warmup_by_epoch (bool): ``warmup_iters`` counts epochs.
    """

    def __init__(
        self,
        by_epoch: bool = True,
        warmup: Optional[str] = None,
        warmup_iters: int = 0,
        warmup_ratio: float = 0.1,
        warmup_by_epoch: bool = False,
    ):
        if warmup is not None:
            if warmup not in WARMUP_TYPES:
                from ...utils.suggest import did_you_mean

                raise ValueError(
                    f'{type(self).__name__}: {warmup!r} is not a supported warmup'
                    f'{did_you_mean(warmup, WARMUP_TYPES)}; accepted: '
                    f'{", ".join(WARMUP_TYPES)}'
                )
            if warmup_iters <= 0:
                raise ValueError(
                    f'{type(self).__name__}: warmup_iters must be > 0 with '
                    f'warmup={warmup!r}, but got {warmup_iters}'
                )
            if not 0 < warmup_ratio <= 1.0:
                raise ValueError(
                    f'{type(self).__name__}: warmup_ratio must be in (0, 1], but got {warmup_ratio}'
                )
        self.by_epoch = by_epoch
        self.warmup = warmup
        self.warmup_ratio = warmup_ratio
        self.warmup_by_epoch = warmup_by_epoch
        if warmup_by_epoch:
            self.warmup_epochs: Optional[int] = warmup_iters
            self.warmup_iters: Optional[int] = None  # known once the loader length is
        else:
            self.warmup_epochs = None
            self.warmup_iters = warmup_iters
        self.base_lr: Union[list, dict] = []
        self.regular_lr: Union[list, dict] = []

    @abstractmethod
    def get_lr(self, runner: Any, base_lr: float) -> float:
        """The scheduled lr of a param group whose initial lr is ``base_lr``."""

    # -- applying --------------------------------------------------------------------------
    @staticmethod
    def _set_lr(runner: Any, lr_groups: Union[list, dict]) -> None:
        if isinstance(runner.optimizer, dict):
            for k, optim in runner.optimizer.items():
                for group, lr in zip(optim.param_groups, lr_groups[k]):
                    group['lr'] = lr
        else:
            for group, lr in zip(runner.optimizer.param_groups, lr_groups):
                group['lr'] = lr

    def get_regular_lr(self, runner: Any) -> Union[list, dict]:
        if isinstance(self.base_lr, dict):
            return {k: [self.get_lr(runner, lr) for lr in v] for k, v in self.base_lr.items()}
        return [self.get_lr(runner, lr) for lr in self.base_lr]

    def _warmup_factor(self, cur_iters: int) -> float:
        if self.warmup == 'constant':
            return self.warmup_ratio
        if self.warmup == 'linear':
            return 1 - (1 - cur_iters / self.warmup_iters) * (1 - self.warmup_ratio)
        return self.warmup_ratio ** (1 - cur_iters / self.warmup_iters)

    def get_warmup_lr(self, cur_iters: int) -> Union[list, dict]:
        factor = self._warmup_factor(cur_iters)
        if isinstance(self.regular_lr, dict):
            return {k: [lr * factor for lr in v] for k, v in self.regular_lr.items()}
        return [lr * factor for lr in self.regular_lr]

    # -- hook stages -----------------------------------------------------------------------
    def before_run(self, runner: Any) -> None:
        # 'initial_lr' survives in the optimizer's state dict, so a resumed run
        # schedules from the original lr, not from the lr it stopped at
        if isinstance(runner.optimizer, dict):
            self.base_lr = {}
            for k, optim in runner.optimizer.items():
                for group in optim.param_groups:
                    group.setdefault('initial_lr', group['lr'])
                self.base_lr[k] = [g['initial_lr'] for g in optim.param_groups]
        else:
            for group in runner.optimizer.param_groups:
                group.setdefault('initial_lr', group['lr'])
            self.base_lr = [g['initial_lr'] for g in runner.optimizer.param_groups]

    def _resolve_warmup_iters(self, runner: Any) -> None:
        if self.warmup_iters is None:
            self.warmup_iters = self.warmup_epochs * len(runner.data_loader)

    def before_train_epoch(self, runner: Any) -> None:
        self._resolve_warmup_iters(runner)
        if not self.by_epoch:
            return
        self.regular_lr = self.get_regular_lr(runner)
        self._set_lr(runner, self.regular_lr)

    def before_train_iter(self, runner: Any) -> None:
        self._resolve_warmup_iters(runner)  # an IterBasedRunner has no train epochs
        cur_iter = runner.iter
        if not self.by_epoch:
            self.regular_lr = self.get_regular_lr(runner)
            if self.warmup is None or cur_iter >= self.warmup_iters:
                self._set_lr(runner, self.regular_lr)
            else:
                self._set_lr(runner, self.get_warmup_lr(cur_iter))
        elif self.warmup is not None and cur_iter <= self.warmup_iters:
            if cur_iter == self.warmup_iters:
                self._set_lr(runner, self.regular_lr)
            else:
                self._set_lr(runner, self.get_warmup_lr(cur_iter))
