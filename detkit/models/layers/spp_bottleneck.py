"""``SPPBottleneck``: spatial pyramid pooling (stride-1 max pools, concatenated)."""
from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn as nn

from .base_module import BaseModule
from .conv_module import ConvModule
from .darknet_bottleneck import YOLOX_ACT_CFG, YOLOX_NORM_CFG


class SPPBottleneck(BaseModule):
    """1x1 conv to half the channels, max pools of each kernel size, concat, 1x1 conv.

    Shapes: ``(B, in_channels, H, W) -> (B, out_channels, H, W)``.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_sizes: Sequence[int] = (5, 9, 13), conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = YOLOX_NORM_CFG, act_cfg: dict = YOLOX_ACT_CFG, init_cfg=None):
        super().__init__(init_cfg)
        mid = in_channels // 2
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.conv1 = ConvModule(in_channels, mid, 1, stride=1, **cfgs)
        self.poolings = nn.ModuleList([nn.MaxPool2d(kernel_size=k, stride=1, padding=k // 2)
                                       for k in kernel_sizes])
        self.conv2 = ConvModule(mid * (len(kernel_sizes) + 1), out_channels, 1, **cfgs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        x = torch.cat([x] + [pool(x) for pool in self.poolings], dim=1)
        return self.conv2(x)
