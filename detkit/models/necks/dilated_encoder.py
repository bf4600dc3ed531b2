"""``DilatedEncoder``: YOLOF's single-level neck (Chen et al., 2021)."""
from __future__ import annotations

from typing import Sequence

import torch.nn as nn

from ...registry import NECKS
from ..layers.weight_init import caffe2_xavier_init, constant_init, normal_init
from .dilated_bottleneck import DilatedBottleneck


@NECKS.register_module()
class DilatedEncoder(nn.Module):
    """Project the last backbone level, then residual blocks of growing dilation.

    Args:
        in_channels (int): channels of the last backbone level.
        out_channels (int): output channels.
        block_mid_channels (int): bottleneck width of the residual blocks.
        num_residual_blocks (int): number of residual blocks.
        block_dilations (Sequence[int]): dilation of each block.

    ``forward`` takes the backbone tuple and uses only its last map:
    ``(B, in_channels, H, W) -> ((B, out_channels, H, W),)``.
    Sub-modules: ``lateral_conv``, ``lateral_norm``, ``fpn_conv``, ``fpn_norm``,
    ``dilated_encoder_blocks``.
    """

    def __init__(self, in_channels: int, out_channels: int, block_mid_channels: int,
                 num_residual_blocks: int, block_dilations: Sequence[int]):
        super().__init__()
        if len(block_dilations) != num_residual_blocks:
            raise ValueError(f'DilatedEncoder: block_dilations {list(block_dilations)} must '
                             f'have num_residual_blocks={num_residual_blocks} entries')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.block_mid_channels = block_mid_channels
        self.num_residual_blocks = num_residual_blocks
        self.block_dilations = block_dilations
        self.lateral_conv = nn.Conv2d(in_channels, out_channels, kernel_size=1)
        self.lateral_norm = nn.BatchNorm2d(out_channels)
        self.fpn_conv = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1)
        self.fpn_norm = nn.BatchNorm2d(out_channels)
        self.dilated_encoder_blocks = nn.Sequential(*[
            DilatedBottleneck(out_channels, block_mid_channels, dilation=d)
            for d in block_dilations])

    def init_weights(self) -> None:
        """Caffe2-Xavier projections, N(0, 0.01) convs in the blocks, norms at 1/0."""
        caffe2_xavier_init(self.lateral_conv)
        caffe2_xavier_init(self.fpn_conv)
        for m in (self.lateral_norm, self.fpn_norm):
            constant_init(m, 1)
        for m in self.dilated_encoder_blocks.modules():
            if isinstance(m, nn.Conv2d):
                normal_init(m, mean=0, std=0.01)
            elif isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.GroupNorm)):
                constant_init(m, 1)

    def forward(self, feature: tuple) -> tuple:
        x = feature[-1]
        if x.shape[1] != self.in_channels:
            raise ValueError(f'DilatedEncoder: in_channels={self.in_channels} but the last '
                             f'input feature map has {x.shape[1]} channels')
        out = self.fpn_norm(self.fpn_conv(self.lateral_norm(self.lateral_conv(x))))
        return (self.dilated_encoder_blocks(out),)
