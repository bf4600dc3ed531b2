"""``build_optimizer``: an optimizer from ``optimizer = dict(type='SGD', ...)`` (mmcv 1.x API).

Every ``torch.optim`` optimizer is registered in OPTIMIZERS under its class name.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

import torch
import torch.nn as nn

from ..registry import OPTIMIZER_BUILDERS, OPTIMIZERS, build_from_cfg


def register_torch_optimizers() -> list:
    """Register every ``torch.optim.Optimizer`` subclass; returns their names."""
    names = []
    for name in dir(torch.optim):
        obj = getattr(torch.optim, name)
        if (
            inspect.isclass(obj)
            and issubclass(obj, torch.optim.Optimizer)
            and obj is not torch.optim.Optimizer
        ):
            if OPTIMIZERS.get(name) is None:
                OPTIMIZERS.register_module(module=obj)
            names.append(name)
    return names


TORCH_OPTIMIZERS = register_torch_optimizers()


def build_optimizer_constructor(cfg: dict) -> Any:
    return build_from_cfg(cfg, OPTIMIZER_BUILDERS)


def build_optimizer(model: nn.Module, cfg: dict) -> torch.optim.Optimizer:
    """Build the optimizer of ``model`` from ``cfg``.

    Args:
        model (nn.Module): the model (a DDP wrapper is unwrapped).
        cfg (dict): ``dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4,
            paramwise_cfg=None, constructor='DefaultOptimizerConstructor')``.
    """
    optimizer_cfg = copy.deepcopy(dict(cfg))
    constructor_type = optimizer_cfg.pop('constructor', 'DefaultOptimizerConstructor')
    paramwise_cfg = optimizer_cfg.pop('paramwise_cfg', None)
    constructor = build_optimizer_constructor(
        dict(type=constructor_type, optimizer_cfg=optimizer_cfg, paramwise_cfg=paramwise_cfg)
    )
    return constructor(model)
