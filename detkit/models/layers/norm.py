"""``build_norm_layer``: the norm layers a ``norm_cfg`` can name (NORM_LAYERS).

The returned name (``bn``, ``gn``, ``ln``, ``in`` plus a postfix) becomes the
attribute name of the layer, and hence a checkpoint key, exactly as in mmcv.
"""
from __future__ import annotations

import inspect
from typing import Union

import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from ...registry import NORM_LAYERS
from ...utils.suggest import did_you_mean

NORM_LAYERS.register_module('BN', module=nn.BatchNorm2d)
NORM_LAYERS.register_module('BN1d', module=nn.BatchNorm1d)
NORM_LAYERS.register_module('BN2d', module=nn.BatchNorm2d)
NORM_LAYERS.register_module('BN3d', module=nn.BatchNorm3d)
NORM_LAYERS.register_module('SyncBN', module=nn.SyncBatchNorm)
NORM_LAYERS.register_module('GN', module=nn.GroupNorm)
NORM_LAYERS.register_module('LN', module=nn.LayerNorm)
NORM_LAYERS.register_module('IN', module=nn.InstanceNorm2d)
NORM_LAYERS.register_module('IN1d', module=nn.InstanceNorm1d)
NORM_LAYERS.register_module('IN2d', module=nn.InstanceNorm2d)
NORM_LAYERS.register_module('IN3d', module=nn.InstanceNorm3d)


def infer_abbr(class_type: type) -> str:
    """The abbreviation mmcv uses to name a norm layer of ``class_type``.

    A class attribute ``_abbr_`` wins; otherwise instance norms are ``in``,
    batch norms ``bn``, group norms ``gn``, layer norms ``ln``, and anything
    else ``norm_layer`` (mmcv also looks for these words in the class name).
    """
    if not inspect.isclass(class_type):
        raise TypeError(f'class_type must be a type, but got {type(class_type)}')
    if hasattr(class_type, '_abbr_'):
        return class_type._abbr_
    if issubclass(class_type, _InstanceNorm):  # IN is a subclass of BN in old torch
        return 'in'
    if issubclass(class_type, _BatchNorm):
        return 'bn'
    if issubclass(class_type, nn.GroupNorm):
        return 'gn'
    if issubclass(class_type, nn.LayerNorm):
        return 'ln'
    name = class_type.__name__.lower()
    for word, abbr in (('batch', 'bn'), ('group', 'gn'), ('layer', 'ln'), ('instance', 'in')):
        if word in name:
            return abbr
    return 'norm_layer'


def build_norm_layer(cfg: dict, num_features: int,
                     postfix: Union[int, str] = '') -> tuple[str, nn.Module]:
    """Build a normalization layer.

    Args:
        cfg (dict): ``type`` (BN, BN1d/2d/3d, SyncBN, GN, LN, IN, IN1d/2d/3d),
            ``requires_grad`` (default True) and the layer's own arguments
            (``num_groups`` for GN, ``eps``, ``momentum``, ...).
        num_features (int): number of input channels.
        postfix (int | str): appended to the abbreviation, e.g. ``bn1``.

    Returns:
        tuple[str, nn.Module]: the layer name (``'bn1'``, ``'gn'``, ...) and the layer.
    """
    if not isinstance(cfg, dict):
        raise TypeError(f'norm_cfg must be a dict, but got {type(cfg).__name__}: {cfg!r}')
    if 'type' not in cfg:
        raise KeyError(f'norm_cfg must contain the key "type", but got keys {sorted(cfg)}')
    cfg_ = dict(cfg)
    layer_type = cfg_.pop('type')
    norm_layer = NORM_LAYERS.get(layer_type)
    if norm_layer is None:
        raise KeyError(f'Unrecognized norm type {layer_type!r}'
                       f'{did_you_mean(layer_type, NORM_LAYERS.module_dict)}; '
                       f'known types: {", ".join(sorted(NORM_LAYERS.module_dict))}')
    if not isinstance(postfix, (int, str)):
        raise TypeError(f'postfix must be an int or a str, but got {type(postfix)}')
    name = infer_abbr(norm_layer) + str(postfix)

    requires_grad = cfg_.pop('requires_grad', True)
    cfg_.setdefault('eps', 1e-5)
    if layer_type == 'GN':
        if 'num_groups' not in cfg_:
            raise KeyError('norm_cfg of type GN must contain the key "num_groups"')
        layer = norm_layer(num_channels=num_features, **cfg_)
    else:
        layer = norm_layer(num_features, **cfg_)
        if layer_type == 'SyncBN' and hasattr(layer, '_specify_ddp_gpu_num'):
            layer._specify_ddp_gpu_num(1)
    for param in layer.parameters():
        param.requires_grad = requires_grad
    return name, layer
