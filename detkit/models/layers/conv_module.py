"""``ConvModule``: conv + norm + activation, the building block of every model."""
from __future__ import annotations

import warnings
from typing import Optional, Union

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from ...registry import PLUGIN_LAYERS
from .activation import build_activation_layer
from .conv import build_conv_layer
from .norm import build_norm_layer
from .padding import build_padding_layer
from .weight_init import constant_init, kaiming_init

# activations whose constructors take no ``inplace``
_NO_INPLACE = ('Tanh', 'PReLU', 'Sigmoid', 'HSigmoid', 'Swish', 'GELU', 'Clamp', 'Clip')


@PLUGIN_LAYERS.register_module()
class ConvModule(nn.Module):
    """Conv, norm and activation in a configurable order.

    Sub-modules are named ``conv``, the norm's abbreviation (``bn``, ``gn``,
    ...) and ``activate``, as in mmcv (they are checkpoint keys).

    Args:
        in_channels, out_channels, kernel_size, stride, padding, dilation, groups:
            as for ``nn.Conv2d``.
        bias (bool | str): 'auto' means a bias only when there is no norm.
        conv_cfg (dict, optional): conv layer config; None is Conv2d.
        norm_cfg (dict, optional): norm layer config; None is no norm.
        act_cfg (dict, optional): activation config, default ReLU; None is none.
        inplace (bool): in-place activation, where the activation supports it.
        with_spectral_norm (bool): wrap the conv in spectral normalisation.
        padding_mode (str): 'zeros' / 'circular' go to the conv; 'reflect',
            'replicate' become a padding layer before it.
        order (tuple[str]): a permutation of ('conv', 'norm', 'act').

    Shapes: ``(B, in_channels, H, W) -> (B, out_channels, H', W')``.
    """

    _abbr_ = 'conv_block'

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, tuple],
                 stride: Union[int, tuple] = 1, padding: Union[int, tuple] = 0,
                 dilation: Union[int, tuple] = 1, groups: int = 1,
                 bias: Union[bool, str] = 'auto', conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None, act_cfg: Optional[dict] = dict(type='ReLU'),  # noqa: B006
                 inplace: bool = True, with_spectral_norm: bool = False,
                 padding_mode: str = 'zeros', order: tuple = ('conv', 'norm', 'act')):
        super().__init__()
        for name, cfg in (('conv_cfg', conv_cfg), ('norm_cfg', norm_cfg), ('act_cfg', act_cfg)):
            if cfg is not None and not isinstance(cfg, dict):
                raise TypeError(f'ConvModule: {name} must be a dict or None, '
                                f'but got {type(cfg).__name__}')
        if not (isinstance(order, (tuple, list)) and len(order) == 3
                and set(order) == {'conv', 'norm', 'act'}):
            raise ValueError(f"ConvModule: order must be a permutation of ('conv', 'norm', "
                             f"'act'), but got {order!r}")
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        self.inplace = inplace
        self.with_spectral_norm = with_spectral_norm
        self.with_explicit_padding = padding_mode not in ('zeros', 'circular')
        self.order = tuple(order)
        self.with_norm = norm_cfg is not None
        self.with_activation = act_cfg is not None
        if bias == 'auto':
            bias = not self.with_norm
        self.with_bias = bias

        if self.with_explicit_padding:
            self.padding_layer = build_padding_layer(dict(type=padding_mode), padding)
        conv_padding = 0 if self.with_explicit_padding else padding
        conv_kwargs = dict(stride=stride, padding=conv_padding, dilation=dilation,
                           groups=groups, bias=bias)
        if padding_mode == 'circular':
            conv_kwargs['padding_mode'] = 'circular'
        self.conv = build_conv_layer(conv_cfg, in_channels, out_channels, kernel_size,
                                     **conv_kwargs)
        self.in_channels = self.conv.in_channels
        self.out_channels = self.conv.out_channels
        self.kernel_size = self.conv.kernel_size
        self.stride = self.conv.stride
        self.padding = padding
        self.dilation = self.conv.dilation
        self.transposed = getattr(self.conv, 'transposed', False)
        self.output_padding = getattr(self.conv, 'output_padding', 0)
        self.groups = self.conv.groups
        if self.with_spectral_norm:
            self.conv = nn.utils.spectral_norm(self.conv)

        if self.with_norm:
            norm_channels = (out_channels if self.order.index('norm') > self.order.index('conv')
                             else in_channels)
            self.norm_name, norm = build_norm_layer(norm_cfg, norm_channels)
            self.add_module(self.norm_name, norm)
            if self.with_bias and isinstance(norm, (_BatchNorm, _InstanceNorm)):
                warnings.warn('Unnecessary conv bias before batch/instance norm', stacklevel=2)
        else:
            self.norm_name = None

        if self.with_activation:
            act_cfg_ = dict(act_cfg)
            if act_cfg_['type'] not in _NO_INPLACE:
                act_cfg_.setdefault('inplace', inplace)
            self.activate = build_activation_layer(act_cfg_)

        self.init_weights()

    @property
    def norm(self) -> Optional[nn.Module]:
        return getattr(self, self.norm_name) if self.norm_name else None

    def init_weights(self) -> None:
        """Kaiming for the conv (unless it has its own ``init_weights``), 1/0 for the norm."""
        if not hasattr(self.conv, 'init_weights'):
            if self.with_activation and self.act_cfg['type'] == 'LeakyReLU':
                nonlinearity, a = 'leaky_relu', self.act_cfg.get('negative_slope', 0.01)
            else:
                nonlinearity, a = 'relu', 0
            kaiming_init(self.conv, a=a, nonlinearity=nonlinearity)
        if self.with_norm:
            constant_init(self.norm, 1, bias=0)

    def forward(self, x: torch.Tensor, activate: bool = True, norm: bool = True) -> torch.Tensor:
        for layer in self.order:
            if layer == 'conv':
                if self.with_explicit_padding:
                    x = self.padding_layer(x)
                x = self.conv(x)
            elif layer == 'norm' and norm and self.with_norm:
                x = self.norm(x)
            elif layer == 'act' and activate and self.with_activation:
                x = self.activate(x)
        return x
