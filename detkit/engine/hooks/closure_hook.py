"""ClosureHook: a hook from a plain function (mmcv 1.x)."""

from __future__ import annotations

from typing import Any, Callable

from ...registry import HOOKS
from ...utils.suggest import did_you_mean
from .hook import Hook


@HOOKS.register_module()
class ClosureHook(Hook):
    """Call ``fn(runner)`` at stage ``fn_name`` (e.g. 'after_train_epoch').

    Args:
        fn_name (str): a hook stage.
        fn (callable): ``fn(runner) -> None``.
    """

    def __init__(self, fn_name: str, fn: Callable[[Any], None]):
        stages = Hook.stages + Hook.generic_stages
        if fn_name not in stages:
            raise ValueError(
                f'ClosureHook: {fn_name!r} is not a hook stage'
                f'{did_you_mean(fn_name, stages)}; stages: {", ".join(stages)}'
            )
        if not callable(fn):
            raise TypeError(f'ClosureHook: fn must be callable, but got {type(fn).__name__}')
        setattr(self, fn_name, fn)
        self.fn_name = fn_name

    def get_triggered_stages(self) -> list:
        generic = {
            'before_epoch': ('before_train_epoch', 'before_val_epoch'),
            'after_epoch': ('after_train_epoch', 'after_val_epoch'),
            'before_iter': ('before_train_iter', 'before_val_iter'),
            'after_iter': ('after_train_iter', 'after_val_iter'),
        }
        return list(generic.get(self.fn_name, (self.fn_name,)))
