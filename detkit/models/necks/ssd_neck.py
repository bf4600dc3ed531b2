"""``SSDNeck``: SSD's extra feature levels (and conv4_3's L2 normalisation)."""
from __future__ import annotations

from typing import Optional, Sequence

import torch.nn as nn

from ...registry import NECKS
from ..layers.base_module import BaseModule
from ..layers.conv_module import ConvModule
from ..layers.depthwise_separable_conv_module import DepthwiseSeparableConvModule
from ._checks import check_neck_inputs
from .l2_norm import L2Norm


@NECKS.register_module()
class SSDNeck(BaseModule):
    """Pass the backbone levels through and append extra levels.

    Args:
        in_channels (Sequence[int]): backbone output channels.
        out_channels (Sequence[int]): channels of all outputs; must start with
            ``in_channels``, the rest are the extra levels.
        level_strides, level_paddings (Sequence[int]): of each extra level's 3x3 conv.
        l2_norm_scale (float, optional): L2Norm on the first level (None: off).
        last_kernel_size (int): kernel of the last extra level's conv.
        use_depthwise (bool): depthwise-separable 3x3 convs.
        conv_cfg, norm_cfg, act_cfg (dict, optional): ConvModule configs.

    Each extra level is ``Sequential(1x1 ConvModule to out/2, kxk ConvModule to out)``.
    Shapes: SSD300: ``(B, 512, 38, 38), (B, 1024, 19, 19)`` -> six maps of sizes
    38, 19, 10, 5, 3, 1.
    """

    def __init__(self, in_channels: Sequence[int], out_channels: Sequence[int],
                 level_strides: Sequence[int], level_paddings: Sequence[int],
                 l2_norm_scale: Optional[float] = 20., last_kernel_size: int = 3,
                 use_depthwise: bool = False, conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None, act_cfg: Optional[dict] = dict(type='ReLU'),  # noqa: B006
                 init_cfg=[dict(type='Xavier', distribution='uniform', layer='Conv2d'),  # noqa: B006
                           dict(type='Constant', val=1, layer='BatchNorm2d')]):
        super().__init__(init_cfg)
        in_channels, out_channels = list(in_channels), list(out_channels)
        n_extra = len(out_channels) - len(in_channels)
        if n_extra <= 0 or out_channels[:len(in_channels)] != in_channels:
            raise ValueError(f'SSDNeck: out_channels {out_channels} must start with in_channels '
                             f'{in_channels} and add at least one extra level')
        if not n_extra == len(level_strides) == len(level_paddings):
            raise ValueError(f'SSDNeck: {n_extra} extra levels need as many level_strides '
                             f'{tuple(level_strides)} and level_paddings '
                             f'{tuple(level_paddings)}')
        self.in_channels = in_channels
        if l2_norm_scale:
            self.l2_norm = L2Norm(in_channels[0], l2_norm_scale)
            self.init_cfg = list(self.init_cfg or []) + [
                dict(type='Constant', val=self.l2_norm.scale, override=dict(name='l2_norm'))]
        second_conv = DepthwiseSeparableConvModule if use_depthwise else ConvModule
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.extra_layers = nn.ModuleList()
        extra_channels = out_channels[len(in_channels):]
        for i, (out_c, stride, padding) in enumerate(zip(extra_channels, level_strides,
                                                         level_paddings)):
            k = last_kernel_size if i == len(extra_channels) - 1 else 3
            self.extra_layers.append(nn.Sequential(
                ConvModule(out_channels[len(in_channels) - 1 + i], out_c // 2, 1, **cfgs),
                second_conv(out_c // 2, out_c, k, stride=stride, padding=padding, **cfgs)))

    def forward(self, inputs: tuple) -> tuple:
        check_neck_inputs('SSDNeck', inputs, self.in_channels)
        outs = list(inputs)
        if hasattr(self, 'l2_norm'):
            outs[0] = self.l2_norm(outs[0])
        feat = outs[-1]
        for layer in self.extra_layers:
            feat = layer(feat)
            outs.append(feat)
        return tuple(outs)
