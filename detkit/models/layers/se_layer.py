"""``SELayer``: squeeze-and-excitation channel attention."""
from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn as nn

from .base_module import BaseModule
from .conv_module import ConvModule


class SELayer(BaseModule):
    """``x * sigmoid(conv2(relu(conv1(avgpool(x)))))``.

    Args:
        channels (int): input/output channels.
        ratio (int): squeeze ratio; the hidden layer has ``int(channels / ratio)``.
        conv_cfg (dict, optional): conv config.
        act_cfg (tuple[dict]): activations after the two convs.

    Shapes: ``(B, channels, H, W) -> (B, channels, H, W)``.
    """

    def __init__(self, channels: int, ratio: int = 16, conv_cfg: Optional[dict] = None,
                 act_cfg: Sequence[dict] = (dict(type='ReLU'), dict(type='Sigmoid')),
                 init_cfg=None):
        super().__init__(init_cfg)
        if isinstance(act_cfg, dict):
            act_cfg = (act_cfg, act_cfg)
        if len(act_cfg) != 2:
            raise ValueError(f'SELayer: act_cfg must hold two activation configs, got {act_cfg}')
        self.global_avgpool = nn.AdaptiveAvgPool2d(1)
        self.conv1 = ConvModule(channels, int(channels / ratio), 1, conv_cfg=conv_cfg,
                                act_cfg=act_cfg[0])
        self.conv2 = ConvModule(int(channels / ratio), channels, 1, conv_cfg=conv_cfg,
                                act_cfg=act_cfg[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.conv2(self.conv1(self.global_avgpool(x)))
