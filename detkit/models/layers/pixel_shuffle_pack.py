"""``PixelShufflePack``: conv to ``C * s^2`` channels, then pixel shuffle by ``s``."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...registry import UPSAMPLE_LAYERS
from .weight_init import xavier_init


@UPSAMPLE_LAYERS.register_module(name='pixel_shuffle')
class PixelShufflePack(nn.Module):
    """Upsample ``(B, in_channels, H, W)`` to ``(B, out_channels, sH, sW)``.

    Args:
        in_channels (int): input channels.
        out_channels (int): output channels.
        scale_factor (int): upsampling ratio ``s``.
        upsample_kernel (int): kernel size of the conv before shuffling.
    """

    def __init__(self, in_channels: int, out_channels: int, scale_factor: int,
                 upsample_kernel: int):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.scale_factor = scale_factor
        self.upsample_kernel = upsample_kernel
        self.upsample_conv = nn.Conv2d(self.in_channels,
                                       self.out_channels * scale_factor * scale_factor,
                                       self.upsample_kernel,
                                       padding=(self.upsample_kernel - 1) // 2)
        self.init_weights()

    def init_weights(self) -> None:
        xavier_init(self.upsample_conv, distribution='uniform')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pixel_shuffle(self.upsample_conv(x), self.scale_factor)
