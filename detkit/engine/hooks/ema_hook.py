"""EMAHook: mmcv 1.x's exponential moving average of the parameters."""

from __future__ import annotations

from typing import Any, Optional

from ...registry import HOOKS
from ..utils import unwrap_model
from .base_ema_hook import ema_update
from .hook import Hook


@HOOKS.register_module()
class EMAHook(Hook):
    """``ema = (1 - m) * ema + m * param`` with ``m = min(momentum ** interval,
    (1 + i) / (warm_up + i))``, applied when ``i % interval == 0``.

    Parameters only; the buffers are named ``ema_<name with '.' -> '_'>`` and
    swapped with the parameters around each training epoch, as in BaseEMAHook.

    Args:
        momentum (float): in (0, 1).
        interval (int): update interval in iterations.
        warm_up (int): momentum warmup constant.
        resume_from (str, optional): checkpoint to resume from once the buffers exist.
    """

    def __init__(
        self,
        momentum: float = 0.0002,
        interval: int = 1,
        warm_up: int = 100,
        resume_from: Optional[str] = None,
    ):
        if not (isinstance(interval, int) and interval > 0):
            raise ValueError(f'EMAHook: interval must be a positive int, but got {interval!r}')
        if not 0 < momentum < 1:
            raise ValueError(f'EMAHook: momentum must be in (0, 1), but got {momentum}')
        self.warm_up = warm_up
        self.interval = interval
        self.momentum = momentum**interval
        self.checkpoint = resume_from

    def before_run(self, runner: Any) -> None:
        model = unwrap_model(runner.model)
        self.param_ema_buffer = {}
        self.model_parameters = dict(model.named_parameters(recurse=True))
        for name, value in self.model_parameters.items():
            buffer_name = f'ema_{name.replace(".", "_")}'
            self.param_ema_buffer[name] = buffer_name
            if not hasattr(model, buffer_name):
                model.register_buffer(buffer_name, value.data.clone())
        self.model_buffers = dict(model.named_buffers(recurse=True))
        if self.checkpoint is not None:
            runner.resume(self.checkpoint)

    def after_train_iter(self, runner: Any) -> None:
        curr_step = runner.iter
        momentum = min(self.momentum, (1 + curr_step) / (self.warm_up + curr_step))
        if curr_step % self.interval != 0:
            return
        ema_update(
            [
                (self.model_buffers[self.param_ema_buffer[name]], p.detach())
                for name, p in self.model_parameters.items()
            ],
            momentum,
        )

    def _swap_ema_parameters(self) -> None:
        for name, value in self.model_parameters.items():
            ema = self.model_buffers[self.param_ema_buffer[name]]
            temp = value.data.clone()
            value.data.copy_(ema.data)
            ema.data.copy_(temp)

    def after_train_epoch(self, runner: Any) -> None:
        self._swap_ema_parameters()

    def before_train_epoch(self, runner: Any) -> None:
        self._swap_ema_parameters()
