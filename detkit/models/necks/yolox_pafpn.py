"""``YOLOXPAFPN``: YOLOX's path-aggregation FPN built from CSP layers."""
from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn as nn

from ...registry import NECKS
from ..layers.base_module import BaseModule
from ..layers.conv_module import ConvModule
from ..layers.csp_layer import CSPLayer
from ..layers.darknet_bottleneck import YOLOX_ACT_CFG, YOLOX_NORM_CFG
from ..layers.depthwise_separable_conv_module import DepthwiseSeparableConvModule
from ._checks import check_neck_inputs


@NECKS.register_module()
class YOLOXPAFPN(BaseModule):
    """Top-down then bottom-up fusion with CSP layers, 1x1 output convs.

    Args:
        in_channels (list[int]): channels of each input level (fine to coarse).
        out_channels (int): channels of every output.
        num_csp_blocks (int): bottlenecks per CSP layer.
        use_depthwise (bool): depthwise-separable downsampling convs.
        upsample_cfg (dict): ``nn.Upsample`` arguments.
        conv_cfg, norm_cfg, act_cfg (dict): ConvModule configs.

    Shapes: ``L`` inputs ``(B, in_channels[l], H_l, W_l)`` (each level half the
    previous) -> ``L`` outputs ``(B, out_channels, H_l, W_l)``.
    """

    def __init__(self, in_channels: list, out_channels: int, num_csp_blocks: int = 3,
                 use_depthwise: bool = False,
                 upsample_cfg: dict = dict(scale_factor=2, mode='nearest'),  # noqa: B006
                 conv_cfg: Optional[dict] = None, norm_cfg: dict = YOLOX_NORM_CFG,
                 act_cfg: dict = YOLOX_ACT_CFG,
                 init_cfg=dict(type='Kaiming', layer='Conv2d', a=math.sqrt(5),  # noqa: B006, B008
                               distribution='uniform', mode='fan_in',
                               nonlinearity='leaky_relu')):
        super().__init__(init_cfg)
        self.in_channels = list(in_channels)
        self.out_channels = out_channels
        conv = DepthwiseSeparableConvModule if use_depthwise else ConvModule
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        csp = dict(num_blocks=num_csp_blocks, add_identity=False, use_depthwise=use_depthwise,
                   **cfgs)
        self.upsample = nn.Upsample(**upsample_cfg)
        self.reduce_layers = nn.ModuleList()
        self.top_down_blocks = nn.ModuleList()
        for idx in range(len(in_channels) - 1, 0, -1):
            self.reduce_layers.append(ConvModule(in_channels[idx], in_channels[idx - 1], 1, **cfgs))
            self.top_down_blocks.append(CSPLayer(in_channels[idx - 1] * 2, in_channels[idx - 1],
                                                 **csp))
        self.downsamples = nn.ModuleList()
        self.bottom_up_blocks = nn.ModuleList()
        for idx in range(len(in_channels) - 1):
            self.downsamples.append(conv(in_channels[idx], in_channels[idx], 3, stride=2,
                                         padding=1, **cfgs))
            self.bottom_up_blocks.append(CSPLayer(in_channels[idx] * 2, in_channels[idx + 1],
                                                  **csp))
        self.out_convs = nn.ModuleList([ConvModule(c, out_channels, 1, **cfgs)
                                        for c in in_channels])

    def forward(self, inputs: tuple) -> tuple:
        check_neck_inputs('YOLOXPAFPN', inputs, self.in_channels)
        n = len(self.in_channels)
        # top-down: reduce the coarser map, upsample, fuse with the finer input
        inner_outs = [inputs[-1]]
        for idx in range(n - 1, 0, -1):
            j = n - 1 - idx
            high = self.reduce_layers[j](inner_outs[0])
            inner_outs[0] = high
            fused = self.top_down_blocks[j](torch.cat([self.upsample(high), inputs[idx - 1]], 1))
            inner_outs.insert(0, fused)
        # bottom-up: downsample the finer output, fuse with the top-down map
        outs = [inner_outs[0]]
        for idx in range(n - 1):
            down = self.downsamples[idx](outs[-1])
            outs.append(self.bottom_up_blocks[idx](torch.cat([down, inner_outs[idx + 1]], 1)))
        return tuple(conv(o) for conv, o in zip(self.out_convs, outs))
