"""``build_linear_layer`` and the linear layers a config can name (``Linear``, ``NormedLinear``).

MMDetection keeps these in its own ``LINEAR_LAYERS`` registry (bbox heads build
their classifiers with ``build_linear_layer(cls_predictor_cfg, ...)``).
"""
from __future__ import annotations

from typing import Any, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...registry import Registry
from ...utils.suggest import did_you_mean

#: Linear layers for ``cls_predictor_cfg`` / ``reg_predictor_cfg``.
LINEAR_LAYERS = Registry('linear layer')
LINEAR_LAYERS.register_module('Linear', module=nn.Linear)


@LINEAR_LAYERS.register_module(name='NormedLinear')
class NormedLinear(nn.Linear):
    """Cosine-similarity classifier: ``t * (x / |x|^p) @ (W / |W|^p)^T + b``.

    Args:
        *args, **kwargs: ``nn.Linear`` arguments.
        tempearture (float): the scale ``t`` (MMDetection's spelling).
        power (float): exponent ``p`` of the norms.
        eps (float): added to the norms.

    Shapes: ``(N, in_features) -> (N, out_features)``.
    """

    def __init__(self, *args: Any, tempearture: float = 20, power: float = 1.0,
                 eps: float = 1e-6, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.tempearture = tempearture
        self.power = power
        self.eps = eps
        self.init_weights()

    def init_weights(self) -> None:
        nn.init.normal_(self.weight, mean=0, std=0.01)
        if self.bias is not None:
            nn.init.constant_(self.bias, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.weight / (self.weight.norm(dim=1, keepdim=True).pow(self.power) + self.eps)
        x = x / (x.norm(dim=1, keepdim=True).pow(self.power) + self.eps)
        return F.linear(x * self.tempearture, weight, self.bias)


def build_linear_layer(cfg: Optional[dict], *args: Any, **kwargs: Any) -> nn.Module:
    """Build a linear layer; ``cfg=None`` is ``nn.Linear``.

    Args:
        cfg (dict | None): ``dict(type='Linear' | 'NormedLinear', ...)``.
        *args, **kwargs: in/out features and other constructor arguments.
    """
    if cfg is None:
        cfg_ = dict(type='Linear')
    else:
        if not isinstance(cfg, dict):
            raise TypeError(f'linear layer cfg must be a dict or None, '
                            f'but got {type(cfg).__name__}')
        if 'type' not in cfg:
            raise KeyError(f'linear layer cfg must contain the key "type", but got {sorted(cfg)}')
        cfg_ = dict(cfg)
    layer_type = cfg_.pop('type')
    layer = LINEAR_LAYERS.get(layer_type)
    if layer is None:
        raise KeyError(f'Unrecognized linear type {layer_type!r}'
                       f'{did_you_mean(layer_type, LINEAR_LAYERS.module_dict)}; '
                       f'known types: {", ".join(sorted(LINEAR_LAYERS.module_dict))}')
    return layer(*args, **kwargs, **cfg_)
