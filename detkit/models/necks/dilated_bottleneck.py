"""``DilatedBottleneck``: YOLOF's residual block with a dilated 3x3 conv."""
from __future__ import annotations

import torch
import torch.nn as nn

from ..layers.conv_module import ConvModule


class DilatedBottleneck(nn.Module):
    """``x + conv3(conv2(conv1(x)))``: 1x1 to mid, dilated 3x3, 1x1 back (BN + ReLU each).

    Shapes: ``(B, in_channels, H, W) -> (B, in_channels, H, W)``.
    """

    def __init__(self, in_channels: int, mid_channels: int, dilation: int,
                 norm_cfg: dict = dict(type='BN', requires_grad=True)):  # noqa: B006
        super().__init__()
        self.conv1 = ConvModule(in_channels, mid_channels, 1, norm_cfg=norm_cfg)
        self.conv2 = ConvModule(mid_channels, mid_channels, 3, padding=dilation,
                                dilation=dilation, norm_cfg=norm_cfg)
        self.conv3 = ConvModule(mid_channels, in_channels, 1, norm_cfg=norm_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv3(self.conv2(self.conv1(x)))
