"""LoggerHook: the base of loggers; decides when the log buffer is averaged and written."""

from __future__ import annotations

import numbers
from abc import ABCMeta, abstractmethod
from typing import Any

import numpy as np
import torch

from .hook import Hook


class LoggerHook(Hook, metaclass=ABCMeta):
    """Average the log buffer every ``interval`` iterations and ``log`` it (mmcv 1.x).

    Args:
        interval (int): logging interval in iterations.
        ignore_last (bool): skip the last iterations of an epoch that do not
            fill an interval.
        reset_flag (bool): clear the averaged output after logging (set
            automatically on the last logger, so every logger sees the output).
        by_epoch (bool): count iterations within the epoch (``Epoch [e][i/n]``).
    """

    def __init__(
        self,
        interval: int = 10,
        ignore_last: bool = True,
        reset_flag: bool = False,
        by_epoch: bool = True,
    ):
        self.interval = interval
        self.ignore_last = ignore_last
        self.reset_flag = reset_flag
        self.by_epoch = by_epoch

    @abstractmethod
    def log(self, runner: Any) -> Any:
        """Write ``runner.log_buffer.output`` somewhere."""

    @staticmethod
    def is_scalar(val: Any, include_np: bool = True, include_torch: bool = True) -> bool:
        """A number (numpy scalars included), a 0-d array or a one-element tensor."""
        if isinstance(val, numbers.Number):
            return True
        if include_np and isinstance(val, np.ndarray) and val.ndim == 0:
            return True
        if include_torch and isinstance(val, torch.Tensor) and val.numel() == 1:
            return True
        return False

    def get_mode(self, runner: Any) -> str:
        if runner.mode == 'train':
            # an evaluation hook logging during training has no iteration time
            return 'train' if 'time' in runner.log_buffer.output else 'val'
        if runner.mode == 'val':
            return 'val'
        raise ValueError(f"runner.mode must be 'train' or 'val', but got {runner.mode!r}")

    def get_epoch(self, runner: Any) -> int:
        if runner.mode == 'train':
            return runner.epoch + 1
        if runner.mode == 'val':
            return runner.epoch  # the train epoch before this val already bumped it
        raise ValueError(f"runner.mode must be 'train' or 'val', but got {runner.mode!r}")

    def get_iter(self, runner: Any, inner_iter: bool = False) -> int:
        if self.by_epoch and inner_iter:
            return runner.inner_iter + 1
        return runner.iter + 1

    def get_lr_tags(self, runner: Any) -> dict:
        lrs = runner.current_lr()
        if isinstance(lrs, dict):
            return {f'learning_rate/{k}': v[0] for k, v in lrs.items()}
        return {'learning_rate': lrs[0]}

    def get_momentum_tags(self, runner: Any) -> dict:
        momentums = runner.current_momentum()
        if isinstance(momentums, dict):
            return {f'momentum/{k}': v[0] for k, v in momentums.items()}
        return {'momentum': momentums[0]}

    def get_loggable_tags(
        self,
        runner: Any,
        allow_scalar: bool = True,
        allow_text: bool = False,
        add_mode: bool = True,
        tags_to_skip: tuple = ('time', 'data_time'),
    ) -> dict:
        tags = {}
        for var, val in runner.log_buffer.output.items():
            if var in tags_to_skip:
                continue
            scalar, text = self.is_scalar(val), isinstance(val, str)
            if not ((scalar and allow_scalar) or (text and allow_text)):
                continue
            tags[f'{self.get_mode(runner)}/{var}' if add_mode else var] = val
        tags.update(self.get_lr_tags(runner))
        tags.update(self.get_momentum_tags(runner))
        return tags

    def before_run(self, runner: Any) -> None:
        # only the last logger clears the output, after every logger has seen it
        for hook in runner.hooks[::-1]:
            if isinstance(hook, LoggerHook):
                hook.reset_flag = True
                break

    def before_epoch(self, runner: Any) -> None:
        runner.log_buffer.clear()  # the last epoch's values

    def after_train_iter(self, runner: Any) -> None:
        if self.by_epoch and self.every_n_inner_iters(runner, self.interval):
            runner.log_buffer.average(self.interval)
        elif not self.by_epoch and self.every_n_iters(runner, self.interval):
            runner.log_buffer.average(self.interval)
        elif self.end_of_epoch(runner) and not self.ignore_last:
            runner.log_buffer.average(self.interval)  # the tail: not exact, but stable
        if runner.log_buffer.ready:
            self.log(runner)
            if self.reset_flag:
                runner.log_buffer.clear_output()

    def after_train_epoch(self, runner: Any) -> None:
        if runner.log_buffer.ready:
            self.log(runner)
            if self.reset_flag:
                runner.log_buffer.clear_output()

    def after_val_epoch(self, runner: Any) -> None:
        runner.log_buffer.average()
        self.log(runner)
        if self.reset_flag:
            runner.log_buffer.clear_output()
