"""DistSamplerSeedHook: tells the sampler the epoch, so each epoch shuffles differently."""

from __future__ import annotations

from typing import Any

from ...registry import HOOKS
from .hook import Hook


@HOOKS.register_module()
class DistSamplerSeedHook(Hook):
    """Calls ``set_epoch(runner.epoch)`` on the loader's sampler (or its batch sampler's).

    A DistributedSampler seeds its shuffle with ``seed + epoch``; without
    this hook every epoch would see the same order.
    """

    def before_epoch(self, runner: Any) -> None:
        loader = runner.data_loader
        sampler = getattr(loader, 'sampler', None)
        if hasattr(sampler, 'set_epoch'):
            sampler.set_epoch(runner.epoch)
            return
        batch_sampler = getattr(loader, 'batch_sampler', None)
        inner = getattr(batch_sampler, 'sampler', None)
        if hasattr(inner, 'set_epoch'):
            inner.set_epoch(runner.epoch)
        elif hasattr(batch_sampler, 'set_epoch'):  # e.g. a group-aware batch sampler
            batch_sampler.set_epoch(runner.epoch)
