"""CheckInvalidLossHook: stop training when the loss becomes inf or NaN."""

from __future__ import annotations

from typing import Any

import torch

from ...registry import HOOKS
from .hook import Hook


@HOOKS.register_module()
class CheckInvalidLossHook(Hook):
    """Every ``interval`` iterations, raise ``RuntimeError`` if ``runner.outputs['loss']``
    is not finite; the message names the epoch, the iteration and every logged loss.

    Args:
        interval (int): check interval in iterations.
    """

    def __init__(self, interval: int = 50):
        self.interval = interval

    def after_train_iter(self, runner: Any) -> None:
        if not self.every_n_iters(runner, self.interval):
            return
        loss = runner.outputs['loss']
        if bool(torch.isfinite(loss).all()):
            return
        log_vars = runner.outputs.get('log_vars', {})
        parts = ', '.join(f'{k}: {v}' for k, v in log_vars.items()) or f'loss: {loss}'
        msg = (
            f'loss became infinite or NaN at epoch {runner.epoch + 1}, iteration '
            f'{runner.iter + 1} (iteration {runner.inner_iter + 1} of the epoch): {parts}'
        )
        runner.logger.error(msg)
        raise RuntimeError(msg)
