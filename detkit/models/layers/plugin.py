"""``build_plugin_layer``: layers inserted into ResNet blocks (``plugins=``)."""
from __future__ import annotations

import re
from typing import Any, Union

import torch.nn as nn

from ...registry import PLUGIN_LAYERS
from ...utils.suggest import did_you_mean


def _plugin_abbr(cls: type) -> str:
    """``cls._abbr_``, else the class name in snake case (mmcv's rule)."""
    if hasattr(cls, '_abbr_'):
        return cls._abbr_
    name = re.sub(r'([A-Z]+)([A-Z][a-z])', r'\1_\2', cls.__name__)
    name = re.sub(r'([a-z\d])([A-Z])', r'\1_\2', name)
    return name.replace('-', '_').lower()


def build_plugin_layer(cfg: dict, postfix: Union[int, str] = '',
                       **kwargs: Any) -> tuple[str, nn.Module]:
    """Build a plugin layer.

    Args:
        cfg (dict): ``type`` (a PLUGIN_LAYERS name) and its arguments.
        postfix (int | str): appended to the layer's abbreviation to name it.
        **kwargs: more constructor arguments (e.g. ``in_channels``).

    Returns:
        tuple[str, nn.Module]: the attribute name and the layer.
    """
    if not isinstance(cfg, dict):
        raise TypeError(f'plugin cfg must be a dict, but got {type(cfg).__name__}')
    if 'type' not in cfg:
        raise KeyError(f'plugin cfg must contain the key "type", but got keys {sorted(cfg)}')
    cfg_ = dict(cfg)
    layer_type = cfg_.pop('type')
    plugin = PLUGIN_LAYERS.get(layer_type)
    if plugin is None:
        raise KeyError(f'Unrecognized plugin type {layer_type!r}'
                       f'{did_you_mean(layer_type, PLUGIN_LAYERS.module_dict)}; '
                       f'known types: {", ".join(sorted(PLUGIN_LAYERS.module_dict))}')
    if not isinstance(postfix, (int, str)):
        raise TypeError(f'postfix must be an int or a str, but got {type(postfix)}')
    return _plugin_abbr(plugin) + str(postfix), plugin(**kwargs, **cfg_)
