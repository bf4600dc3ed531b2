"""SyncNormHook: average normalisation statistics over processes (YOLOX, MMDetection 2.x)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch.nn as nn

from ...registry import HOOKS
from ..dist_utils import all_reduce_dict, get_dist_info
from .hook import Hook


def get_norm_states(module: nn.Module) -> OrderedDict:
    """The state entries (weights, running stats) of every norm layer in ``module``."""
    states = OrderedDict()
    for name, child in module.named_modules():
        if isinstance(child, nn.modules.batchnorm._NormBase):
            for k, v in child.state_dict().items():
                states[f'{name}.{k}'] = v
    return states


@HOOKS.register_module()
class SyncNormHook(Hook):
    """After every ``interval`` training epochs (every epoch within the last
    ``num_last_epochs``), replace each process's norm states by their mean.

    Without it, BatchNorm statistics drift apart across processes (DDP does
    not synchronise buffers here) and evaluation depends on the rank.

    Args:
        num_last_epochs (int): from ``max_epochs - num_last_epochs`` on, sync every epoch.
        interval (int): sync interval in epochs before that.
    """

    def __init__(self, num_last_epochs: int = 15, interval: int = 1):
        self.interval = interval
        self.num_last_epochs = num_last_epochs

    def before_train_epoch(self, runner: Any) -> None:
        if runner.epoch + 1 == runner.max_epochs - self.num_last_epochs:
            self.interval = 1

    def after_train_epoch(self, runner: Any) -> None:
        if (runner.epoch + 1) % self.interval != 0:
            return
        if get_dist_info()[1] == 1:
            return
        states = get_norm_states(runner.model)
        if not states:
            return
        averaged = all_reduce_dict(states, op='mean')
        # integer counters (num_batches_tracked) come back as floats; keep their dtype
        averaged = OrderedDict((k, v.to(states[k].dtype)) for k, v in averaged.items())
        runner.model.load_state_dict(averaged, strict=False)
