"""``ResBlock``: Darknet-53's residual block (1x1 halve, 3x3 restore, add)."""
from __future__ import annotations

from typing import Optional

import torch

from .base_module import BaseModule
from .conv_module import ConvModule


class ResBlock(BaseModule):
    """``x + conv2(conv1(x))`` with ``conv1``: C -> C/2 (1x1), ``conv2``: C/2 -> C (3x3).

    Shapes: ``(B, C, H, W) -> (B, C, H, W)``.
    """

    def __init__(self, in_channels: int, conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),  # noqa: B006
                 act_cfg: dict = dict(type='LeakyReLU', negative_slope=0.1), init_cfg=None):  # noqa: B006
        super().__init__(init_cfg)
        if in_channels % 2:
            raise ValueError(f'ResBlock: in_channels must be even, but got {in_channels}')
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.conv1 = ConvModule(in_channels, in_channels // 2, 1, **cfgs)
        self.conv2 = ConvModule(in_channels // 2, in_channels, 3, padding=1, **cfgs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(self.conv1(x))
