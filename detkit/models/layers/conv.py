"""``build_conv_layer``: the conv layers a ``conv_cfg`` can name (CONV_LAYERS)."""
from __future__ import annotations

from typing import Any, Optional

import torch.nn as nn

from ...registry import CONV_LAYERS
from ...utils.suggest import did_you_mean

CONV_LAYERS.register_module('Conv1d', module=nn.Conv1d)
CONV_LAYERS.register_module('Conv2d', module=nn.Conv2d)
CONV_LAYERS.register_module('Conv3d', module=nn.Conv3d)
# mmcv's 'Conv' is the 2-D convolution; 'deconv' lets a ConvModule upsample (CenterNet)
CONV_LAYERS.register_module('Conv', module=nn.Conv2d)
CONV_LAYERS.register_module('deconv', module=nn.ConvTranspose2d)
CONV_LAYERS.register_module('deconv3d', module=nn.ConvTranspose3d)


def build_conv_layer(cfg: Optional[dict], *args: Any, **kwargs: Any) -> nn.Module:
    """Build a convolution layer.

    Args:
        cfg (dict | None): ``dict(type='Conv2d', ...)``; None means ``Conv2d``.
        *args, **kwargs: passed to the layer's constructor (in/out channels,
            kernel size, stride, ...).

    Returns:
        nn.Module: the conv layer.
    """
    if cfg is None:
        cfg_ = dict(type='Conv2d')
    else:
        if not isinstance(cfg, dict):
            raise TypeError(f'conv_cfg must be a dict or None, but got {type(cfg).__name__}')
        if 'type' not in cfg:
            raise KeyError(f'conv_cfg must contain the key "type", but got keys {sorted(cfg)}')
        cfg_ = dict(cfg)
    layer_type = cfg_.pop('type')
    conv_layer = CONV_LAYERS.get(layer_type)
    if conv_layer is None:
        raise KeyError(f'Unrecognized conv type {layer_type!r}'
                       f'{did_you_mean(layer_type, CONV_LAYERS.module_dict)}; '
                       f'known types: {", ".join(sorted(CONV_LAYERS.module_dict))}')
    return conv_layer(*args, **kwargs, **cfg_)
