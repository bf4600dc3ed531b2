"""``ConvWS2d``: convolution with weight standardisation (Qiao et al., 2019)."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...registry import CONV_LAYERS


@CONV_LAYERS.register_module(name='ConvWS')
class ConvWS2d(nn.Conv2d):
    """``nn.Conv2d`` whose weight is standardised per output channel before use.

    ``w' = (w - mean(w_o)) / (std(w_o) + eps)`` over each output channel's
    ``in/groups * kH * kW`` values (unbiased std, as mmcv). ``eps`` is the only
    extra argument; the stored weight (checkpoint key ``weight``) is the raw one.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, eps: float = 1e-5):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride,
                         padding=padding, dilation=dilation, groups=groups, bias=bias)
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = self.weight.view(self.weight.size(0), -1)
        shape = (-1,) + (1,) * (self.weight.dim() - 1)
        mean = flat.mean(dim=1).view(shape)
        std = flat.std(dim=1).view(shape)
        weight = (self.weight - mean) / (std + self.eps)
        return F.conv2d(x, weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)
