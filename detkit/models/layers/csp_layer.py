"""``CSPLayer``: Cross Stage Partial layer (CSPNet) of YOLOX's backbone and neck."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn

from .base_module import BaseModule
from .conv_module import ConvModule
from .darknet_bottleneck import YOLOX_ACT_CFG, YOLOX_NORM_CFG, DarknetBottleneck


class CSPLayer(BaseModule):
    """Split into a main path (1x1 conv + bottlenecks) and a short path (1x1 conv), concat, fuse.

    Args:
        in_channels, out_channels (int): channels.
        expand_ratio (float): each path has ``int(out_channels * expand_ratio)`` channels.
        num_blocks (int): DarknetBottlenecks on the main path.
        add_identity (bool): shortcut inside the bottlenecks.
        use_depthwise (bool): depthwise-separable 3x3 convs in the bottlenecks.
        conv_cfg, norm_cfg, act_cfg (dict): ConvModule configs.

    Sub-modules: ``main_conv``, ``short_conv``, ``final_conv``, ``blocks``.
    Shapes: ``(B, in_channels, H, W) -> (B, out_channels, H, W)``.
    """

    def __init__(self, in_channels: int, out_channels: int, expand_ratio: float = 0.5,
                 num_blocks: int = 1, add_identity: bool = True, use_depthwise: bool = False,
                 conv_cfg: Optional[dict] = None, norm_cfg: dict = YOLOX_NORM_CFG,
                 act_cfg: dict = YOLOX_ACT_CFG, init_cfg=None):
        super().__init__(init_cfg)
        mid = int(out_channels * expand_ratio)
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.main_conv = ConvModule(in_channels, mid, 1, **cfgs)
        self.short_conv = ConvModule(in_channels, mid, 1, **cfgs)
        self.final_conv = ConvModule(2 * mid, out_channels, 1, **cfgs)
        self.blocks = nn.Sequential(*[
            DarknetBottleneck(mid, mid, 1.0, add_identity, use_depthwise, **cfgs)
            for _ in range(num_blocks)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_short = self.short_conv(x)
        x_main = self.blocks(self.main_conv(x))
        return self.final_conv(torch.cat((x_main, x_short), dim=1))
