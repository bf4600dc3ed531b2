"""SyncBuffersHook: average the model's buffers over processes after each epoch (mmcv 1.x)."""

from __future__ import annotations

from typing import Any

from ...registry import HOOKS
from ..dist_utils import all_reduce_dict, get_dist_info
from .hook import Hook


def sync_buffers(model: Any) -> None:
    """Replace every floating-point buffer by its mean over processes, in place."""
    buffers = dict(model.named_buffers())
    floats = {k: v for k, v in buffers.items() if v.is_floating_point()}
    if not floats:
        return
    for k, v in all_reduce_dict(floats, op='mean').items():
        buffers[k].copy_(v)


@HOOKS.register_module()
class SyncBuffersHook(Hook):
    """After every train/val epoch, average floating-point buffers (e.g. BatchNorm
    running statistics) over processes, so every rank saves and evaluates the same model.

    Args:
        distributed (bool): do it (a single-process run has nothing to sync).
    """

    def __init__(self, distributed: bool = True):
        self.distributed = distributed

    def after_epoch(self, runner: Any) -> None:
        if self.distributed and get_dist_info()[1] > 1:
            sync_buffers(runner.model)
