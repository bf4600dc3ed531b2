"""``DetectionBlock``: the five-conv block of YOLOv3's neck."""
from __future__ import annotations

from typing import Optional

import torch

from ..layers.base_module import BaseModule
from ..layers.conv_module import ConvModule

YOLO_NORM_CFG = dict(type='BN', requires_grad=True)
YOLO_ACT_CFG = dict(type='LeakyReLU', negative_slope=0.1)


class DetectionBlock(BaseModule):
    """Five ConvModules: 1x1 (out), 3x3 (2*out), 1x1 (out), 3x3 (2*out), 1x1 (out).

    Shapes: ``(B, in_channels, H, W) -> (B, out_channels, H, W)``.
    """

    def __init__(self, in_channels: int, out_channels: int, conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = YOLO_NORM_CFG, act_cfg: dict = YOLO_ACT_CFG, init_cfg=None):
        super().__init__(init_cfg)
        double = out_channels * 2
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.conv1 = ConvModule(in_channels, out_channels, 1, **cfgs)
        self.conv2 = ConvModule(out_channels, double, 3, padding=1, **cfgs)
        self.conv3 = ConvModule(double, out_channels, 1, **cfgs)
        self.conv4 = ConvModule(out_channels, double, 3, padding=1, **cfgs)
        self.conv5 = ConvModule(double, out_channels, 1, **cfgs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv5(self.conv4(self.conv3(self.conv2(self.conv1(x)))))
