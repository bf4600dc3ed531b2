"""``build_padding_layer``: zero / reflect / replicate padding layers."""
from __future__ import annotations

from typing import Any

import torch.nn as nn

from ...utils.suggest import did_you_mean

_PADDING_LAYERS = {'zero': nn.ZeroPad2d, 'reflect': nn.ReflectionPad2d,
                   'replicate': nn.ReplicationPad2d}


def build_padding_layer(cfg: dict, *args: Any, **kwargs: Any) -> nn.Module:
    """Build a 2-D padding layer.

    Args:
        cfg (dict): ``type`` is one of 'zero', 'reflect', 'replicate'; the other
            keys, ``*args`` and ``**kwargs`` (the padding) go to the layer.

    Returns:
        nn.Module: the padding layer.
    """
    if not isinstance(cfg, dict):
        raise TypeError(f'padding cfg must be a dict, but got {type(cfg).__name__}')
    if 'type' not in cfg:
        raise KeyError(f'padding cfg must contain the key "type", but got keys {sorted(cfg)}')
    cfg_ = dict(cfg)
    padding_type = cfg_.pop('type')
    if padding_type not in _PADDING_LAYERS:
        raise KeyError(f'Unrecognized padding type {padding_type!r}'
                       f'{did_you_mean(padding_type, _PADDING_LAYERS)}; '
                       f'known types: {", ".join(_PADDING_LAYERS)}')
    return _PADDING_LAYERS[padding_type](*args, **kwargs, **cfg_)
