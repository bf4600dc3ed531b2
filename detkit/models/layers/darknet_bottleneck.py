"""``DarknetBottleneck``: 1x1 conv then 3x3 conv, with an optional identity shortcut."""
from __future__ import annotations

from typing import Optional

import torch

from .base_module import BaseModule
from .conv_module import ConvModule
from .depthwise_separable_conv_module import DepthwiseSeparableConvModule

#: YOLOX's norm and activation (momentum/eps from the original implementation)
YOLOX_NORM_CFG = dict(type='BN', momentum=0.03, eps=0.001)
YOLOX_ACT_CFG = dict(type='Swish')


class DarknetBottleneck(BaseModule):
    """The basic block of CSPDarknet / CSPLayer.

    Args:
        in_channels, out_channels (int): channels.
        expansion (float): hidden channels = ``int(out_channels * expansion)``.
        add_identity (bool): add the input (only when in == out channels).
        use_depthwise (bool): depthwise-separable 3x3 conv.
        conv_cfg, norm_cfg, act_cfg (dict): ConvModule configs.

    Shapes: ``(B, in_channels, H, W) -> (B, out_channels, H, W)``.
    """

    def __init__(self, in_channels: int, out_channels: int, expansion: float = 0.5,
                 add_identity: bool = True, use_depthwise: bool = False,
                 conv_cfg: Optional[dict] = None, norm_cfg: dict = YOLOX_NORM_CFG,
                 act_cfg: dict = YOLOX_ACT_CFG, init_cfg=None):
        super().__init__(init_cfg)
        hidden = int(out_channels * expansion)
        conv = DepthwiseSeparableConvModule if use_depthwise else ConvModule
        self.conv1 = ConvModule(in_channels, hidden, 1, conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                                act_cfg=act_cfg)
        self.conv2 = conv(hidden, out_channels, 3, stride=1, padding=1, conv_cfg=conv_cfg,
                          norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.add_identity = add_identity and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2(self.conv1(x))
        return out + x if self.add_identity else out
