"""EmptyCacheHook: release the CUDA caching allocator's unused blocks."""

from __future__ import annotations

from typing import Any

import torch

from ...registry import HOOKS
from .hook import Hook


@HOOKS.register_module()
class EmptyCacheHook(Hook):
    """Call ``torch.cuda.empty_cache()`` before/after epochs and/or after iterations.

    Helps when another process shares the GPU; costs speed. Does nothing without CUDA.
    """

    def __init__(
        self, before_epoch: bool = False, after_epoch: bool = True, after_iter: bool = False
    ):
        self._before_epoch = before_epoch
        self._after_epoch = after_epoch
        self._after_iter = after_iter

    @staticmethod
    def _empty() -> None:
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def after_iter(self, runner: Any) -> None:
        if self._after_iter:
            self._empty()

    def before_epoch(self, runner: Any) -> None:
        if self._before_epoch:
            self._empty()

    def after_epoch(self, runner: Any) -> None:
        if self._after_epoch:
            self._empty()
