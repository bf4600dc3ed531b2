"""``ContextBlock``: GCNet's global context block (Cao et al., 2019), a ResNet plugin."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn

from ...registry import PLUGIN_LAYERS
from .weight_init import constant_init, kaiming_init

_FUSIONS = ('channel_add', 'channel_mul')


def _transform(channels: int, planes: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(channels, planes, kernel_size=1),
                         nn.LayerNorm([planes, 1, 1]), nn.ReLU(inplace=True),
                         nn.Conv2d(planes, channels, kernel_size=1))


@PLUGIN_LAYERS.register_module()
class ContextBlock(nn.Module):
    """Pool a global context vector (attention-weighted or mean), transform it, and
    add it to (and/or multiply it into) every position.

    Args:
        in_channels (int): channels C.
        ratio (float): bottleneck ratio of the transform (``planes = int(C * ratio)``).
        pooling_type (str): 'att' (softmax attention over positions) or 'avg'.
        fusion_types (Sequence[str]): 'channel_add' and/or 'channel_mul'.

    Sub-modules: ``conv_mask`` ('att'), ``channel_add_conv``, ``channel_mul_conv``.
    Shapes: ``(B, C, H, W) -> (B, C, H, W)``.
    """

    _abbr_ = 'context_block'

    def __init__(self, in_channels: int, ratio: float, pooling_type: str = 'att',
                 fusion_types: Sequence[str] = ('channel_add', )):
        super().__init__()
        if pooling_type not in ('avg', 'att'):
            raise ValueError(f"ContextBlock: pooling_type must be 'avg' or 'att', "
                             f"but got {pooling_type!r}")
        if not isinstance(fusion_types, (list, tuple)) or not fusion_types or \
                not all(f in _FUSIONS for f in fusion_types):
            raise ValueError(f'ContextBlock: fusion_types must be a non-empty subset of '
                             f'{_FUSIONS}, but got {fusion_types!r}')
        self.in_channels = in_channels
        self.ratio = ratio
        self.planes = int(in_channels * ratio)
        self.pooling_type = pooling_type
        self.fusion_types = fusion_types
        if pooling_type == 'att':
            self.conv_mask = nn.Conv2d(in_channels, 1, kernel_size=1)
            self.softmax = nn.Softmax(dim=2)
        else:
            self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.channel_add_conv = (_transform(in_channels, self.planes)
                                 if 'channel_add' in fusion_types else None)
        self.channel_mul_conv = (_transform(in_channels, self.planes)
                                 if 'channel_mul' in fusion_types else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming (fan_in) attention conv; the last conv of each transform at zero, so a
        freshly inserted block starts as the identity."""
        if self.pooling_type == 'att':
            kaiming_init(self.conv_mask, mode='fan_in')
            self.conv_mask.inited = True
        for transform in (self.channel_add_conv, self.channel_mul_conv):
            if transform is not None:
                constant_init(transform[-1], val=0)

    def spatial_pool(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W) -> (B, C, 1, 1)`` context."""
        b, c, h, w = x.shape
        if self.pooling_type == 'avg':
            return self.avg_pool(x)
        weights = self.softmax(self.conv_mask(x).view(b, 1, h * w))  # (B, 1, HW)
        return torch.bmm(x.view(b, c, h * w), weights.transpose(1, 2)).view(b, c, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        context = self.spatial_pool(x)
        out = x
        if self.channel_mul_conv is not None:
            out = out * torch.sigmoid(self.channel_mul_conv(context))
        if self.channel_add_conv is not None:
            out = out + self.channel_add_conv(context)
        return out
