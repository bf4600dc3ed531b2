"""``Focus``: space-to-depth (2x2 pixels -> 4 channels) followed by a ConvModule."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn

from .conv_module import ConvModule
from .darknet_bottleneck import YOLOX_ACT_CFG, YOLOX_NORM_CFG


class Focus(nn.Module):
    """YOLOX's stem: ``(B, C, H, W) -> (B, 4C, H/2, W/2) -> conv -> (B, out, H/2, W/2)``.

    The four sub-grids are stacked in YOLOv5's order (top-left, bottom-left,
    top-right, bottom-right), which pretrained weights depend on.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1,
                 stride: int = 1, conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = YOLOX_NORM_CFG, act_cfg: dict = YOLOX_ACT_CFG):
        super().__init__()
        self.conv = ConvModule(in_channels * 4, out_channels, kernel_size, stride,
                               padding=(kernel_size - 1) // 2, conv_cfg=conv_cfg,
                               norm_cfg=norm_cfg, act_cfg=act_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.cat((x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2],
                       x[..., 1::2, 1::2]), dim=1)
        return self.conv(x)
