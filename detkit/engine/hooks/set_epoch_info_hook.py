"""SetEpochInfoHook: tell the model which epoch starts (MMDetection 2.x)."""

from __future__ import annotations

from typing import Any

from ...registry import HOOKS
from ..utils import unwrap_model
from .hook import Hook


@HOOKS.register_module()
class SetEpochInfoHook(Hook):
    """Call ``model.set_epoch(runner.epoch)`` before every training epoch (0-based epoch)."""

    def before_train_epoch(self, runner: Any) -> None:
        model = unwrap_model(runner.model)
        if not callable(getattr(model, 'set_epoch', None)):
            raise TypeError(
                f'SetEpochInfoHook needs a model with set_epoch(epoch), but '
                f'{type(model).__name__} has none'
            )
        model.set_epoch(runner.epoch)
