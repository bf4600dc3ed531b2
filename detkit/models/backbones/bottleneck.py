"""``Bottleneck``: the 1x1-3x3-1x1 residual block of ResNet-50+ and ResNeXt."""
from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn as nn

from ..layers.base_module import BaseModule
from ..layers.conv import build_conv_layer
from ..layers.conv_norm import conv_norm
from ..layers.norm import build_norm_layer
from ._block_utils import build_block_plugins, check_no_dcn, maybe_checkpoint, run_plugins


class Bottleneck(BaseModule):
    """conv1x1-norm-relu, conv3x3-norm-relu, conv1x1-norm, + shortcut, relu.

    Args:
        inplanes (int): input channels.
        planes (int): base width; the block outputs ``planes * 4`` channels.
        stride, dilation (int): the stride sits on the 3x3 conv ('pytorch'
            style) or on the first 1x1 conv ('caffe' style).
        downsample (nn.Module, optional): shortcut projection.
        style (str): 'pytorch' or 'caffe'.
        with_cp (bool): gradient checkpointing.
        conv_cfg, norm_cfg (dict): layer configs.
        dcn (None): deformable conv is not supported.
        plugins (list[dict], optional): ``dict(cfg=..., position='after_conv1'|
            'after_conv2'|'after_conv3')`` layers built from PLUGIN_LAYERS.
        groups, base_width, base_channels (int): ResNeXt's cardinality; the
            grouped width is ``floor(planes * base_width / base_channels) * groups``
            (``planes`` when groups == 1).
        expansion (int, optional): output channels are ``planes * expansion``;
            default the class attribute 4 (RegNet uses 1).

    Shapes: ``(B, inplanes, H, W) -> (B, 4 * planes, H/stride, W/stride)``.
    """

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, dilation: int = 1,
                 downsample: Optional[nn.Module] = None, style: str = 'pytorch',
                 with_cp: bool = False, conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'), dcn: Optional[dict] = None,  # noqa: B006
                 plugins: Optional[list] = None, groups: int = 1, base_width: int = 4,
                 base_channels: int = 64, expansion: Optional[int] = None, init_cfg=None):
        super().__init__(init_cfg)
        if style not in ('pytorch', 'caffe'):
            raise ValueError(f"Bottleneck: style must be 'pytorch' or 'caffe', but got {style!r}")
        check_no_dcn('Bottleneck', dcn)
        self.inplanes = inplanes
        self.planes = planes
        self.stride = stride
        self.dilation = dilation
        self.style = style
        self.with_cp = with_cp
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.with_plugins = bool(plugins)
        if expansion is not None:
            self.expansion = expansion
        self.conv1_stride, self.conv2_stride = (1, stride) if style == 'pytorch' else (stride, 1)
        width = planes if groups == 1 else math.floor(planes * base_width / base_channels) * groups
        out_planes = planes * self.expansion

        self.norm1_name, norm1 = build_norm_layer(norm_cfg, width, postfix=1)
        self.norm2_name, norm2 = build_norm_layer(norm_cfg, width, postfix=2)
        self.norm3_name, norm3 = build_norm_layer(norm_cfg, out_planes, postfix=3)
        self.conv1 = build_conv_layer(conv_cfg, inplanes, width, kernel_size=1,
                                      stride=self.conv1_stride, bias=False)
        self.add_module(self.norm1_name, norm1)
        self.conv2 = build_conv_layer(conv_cfg, width, width, kernel_size=3,
                                      stride=self.conv2_stride, padding=dilation,
                                      dilation=dilation, groups=groups, bias=False)
        self.add_module(self.norm2_name, norm2)
        self.conv3 = build_conv_layer(conv_cfg, width, out_planes, kernel_size=1, bias=False)
        self.add_module(self.norm3_name, norm3)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self._plugin_names = build_block_plugins(
            self, plugins, dict(after_conv1=width, after_conv2=width, after_conv3=out_planes))

    @property
    def norm1(self) -> nn.Module:
        return getattr(self, self.norm1_name)

    @property
    def norm2(self) -> nn.Module:
        return getattr(self, self.norm2_name)

    @property
    def norm3(self) -> nn.Module:
        return getattr(self, self.norm3_name)

    def _inner_forward(self, x: torch.Tensor) -> torch.Tensor:
        names = self._plugin_names
        out = self.relu(conv_norm(x, self.conv1, self.norm1))
        out = run_plugins(self, out, names['after_conv1'])
        out = self.relu(conv_norm(out, self.conv2, self.norm2))
        out = run_plugins(self, out, names['after_conv2'])
        out = conv_norm(out, self.conv3, self.norm3)
        identity = x if self.downsample is None else self.downsample(x)
        if not names['after_conv3']:
            out += identity  # in place, as torchvision: no new (B, 4 * planes, H, W) buffer
            return out
        # a plugin's output may be saved for its backward: do not overwrite it
        return run_plugins(self, out, names['after_conv3']) + identity

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(maybe_checkpoint(self._inner_forward, x, self.with_cp))
