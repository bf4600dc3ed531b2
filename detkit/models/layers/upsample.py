"""``build_upsample_layer``: nearest / bilinear / deconv / pixel_shuffle upsampling."""
from __future__ import annotations

from typing import Any

import torch.nn as nn

from ...registry import UPSAMPLE_LAYERS
from ...utils.suggest import did_you_mean
from . import pixel_shuffle_pack  # noqa: F401  (registers 'pixel_shuffle')

UPSAMPLE_LAYERS.register_module('nearest', module=nn.Upsample)
UPSAMPLE_LAYERS.register_module('bilinear', module=nn.Upsample)
UPSAMPLE_LAYERS.register_module('deconv', module=nn.ConvTranspose2d)
UPSAMPLE_LAYERS.register_module('deconv3d', module=nn.ConvTranspose3d)


def build_upsample_layer(cfg: dict, *args: Any, **kwargs: Any) -> nn.Module:
    """Build an upsampling layer.

    Args:
        cfg (dict): ``type`` is 'nearest' or 'bilinear' (an ``nn.Upsample`` with
            that mode; give ``scale_factor``), 'deconv' (``nn.ConvTranspose2d``),
            'deconv3d' or 'pixel_shuffle' (:class:`PixelShufflePack`).
        *args, **kwargs: passed to the layer.

    Returns:
        nn.Module: the upsampling layer.
    """
    if not isinstance(cfg, dict):
        raise TypeError(f'upsample_cfg must be a dict, but got {type(cfg).__name__}')
    if 'type' not in cfg:
        raise KeyError(f'upsample_cfg must contain the key "type", but got keys {sorted(cfg)}')
    cfg_ = dict(cfg)
    layer_type = cfg_.pop('type')
    upsample = UPSAMPLE_LAYERS.get(layer_type)
    if upsample is None:
        raise KeyError(f'Unrecognized upsample type {layer_type!r}'
                       f'{did_you_mean(layer_type, UPSAMPLE_LAYERS.module_dict)}; '
                       f'known types: {", ".join(sorted(UPSAMPLE_LAYERS.module_dict))}')
    if upsample is nn.Upsample:
        cfg_['mode'] = layer_type
    return upsample(*args, **kwargs, **cfg_)
