"""``build_activation_layer``: the activations an ``act_cfg`` can name."""
from __future__ import annotations

import torch.nn as nn

from ...registry import ACTIVATION_LAYERS
from ...utils.suggest import did_you_mean
from .activations import Clamp, HSigmoid, HSwish, Swish

for _name, _module in (('ReLU', nn.ReLU), ('LeakyReLU', nn.LeakyReLU), ('PReLU', nn.PReLU),
                       ('RReLU', nn.RReLU), ('ReLU6', nn.ReLU6), ('ELU', nn.ELU),
                       ('Sigmoid', nn.Sigmoid), ('Tanh', nn.Tanh), ('SiLU', nn.SiLU),
                       ('GELU', nn.GELU), ('Swish', Swish), ('HSigmoid', HSigmoid),
                       ('HSwish', HSwish), ('Clamp', Clamp)):
    ACTIVATION_LAYERS.register_module(_name, module=_module)
ACTIVATION_LAYERS.register_module('Clip', module=Clamp)  # mmcv's other name for it


def build_activation_layer(cfg: dict) -> nn.Module:
    """Build an activation layer.

    Args:
        cfg (dict): ``type`` (ReLU, LeakyReLU, PReLU, RReLU, ReLU6, ELU, Sigmoid,
            Tanh, GELU, SiLU, Swish, HSigmoid, HSwish, Clamp) and its arguments.

    Returns:
        nn.Module: the activation.
    """
    if not isinstance(cfg, dict):
        raise TypeError(f'act_cfg must be a dict, but got {type(cfg).__name__}: {cfg!r}')
    if 'type' not in cfg:
        raise KeyError(f'act_cfg must contain the key "type", but got keys {sorted(cfg)}')
    cfg_ = dict(cfg)
    layer_type = cfg_.pop('type')
    act = ACTIVATION_LAYERS.get(layer_type)
    if act is None:
        raise KeyError(f'Unrecognized activation type {layer_type!r}'
                       f'{did_you_mean(layer_type, ACTIVATION_LAYERS.module_dict)}; '
                       f'known types: {", ".join(sorted(ACTIVATION_LAYERS.module_dict))}')
    return act(**cfg_)
