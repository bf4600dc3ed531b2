"""TensorboardLoggerHook: scalars (losses, lr, momentum, metrics) to TensorBoard."""

from __future__ import annotations

import os.path as osp
from typing import Any, Optional

from ...registry import HOOKS
from .logger_hook import LoggerHook


@HOOKS.register_module()
class TensorboardLoggerHook(LoggerHook):
    """Write the log buffer to ``log_dir`` (default ``work_dir/tf_logs``), on rank 0.

    Needs the ``tensorboard`` package (``pip install tensorboard``); its
    absence is reported when the run starts.
    """

    def __init__(
        self,
        log_dir: Optional[str] = None,
        interval: int = 10,
        ignore_last: bool = True,
        reset_flag: bool = False,
        by_epoch: bool = True,
    ):
        super().__init__(interval, ignore_last, reset_flag, by_epoch)
        self.log_dir = log_dir
        self.writer: Any = None

    def before_run(self, runner: Any) -> None:
        super().before_run(runner)
        if runner.rank != 0:
            return
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as e:
            raise ImportError(
                'TensorboardLoggerHook needs the "tensorboard" package, which is '
                'not installed: pip install tensorboard (or remove '
                "dict(type='TensorboardLoggerHook') from log_config.hooks)"
            ) from e
        if self.log_dir is None:
            self.log_dir = osp.join(runner.work_dir, 'tf_logs')
        self.writer = SummaryWriter(self.log_dir)

    def log(self, runner: Any) -> None:
        if self.writer is None:
            return
        for tag, val in self.get_loggable_tags(runner, allow_text=True).items():
            if isinstance(val, str):
                self.writer.add_text(tag, val, self.get_iter(runner))
            else:
                self.writer.add_scalar(tag, val, self.get_iter(runner))

    def after_run(self, runner: Any) -> None:
        if self.writer is not None:
            self.writer.close()
