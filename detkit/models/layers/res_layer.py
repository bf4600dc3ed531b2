"""``ResLayer``: one ResNet stage, a Sequential of residual blocks."""
from __future__ import annotations

from typing import Optional

import torch.nn as nn

from .base_module import Sequential
from .conv import build_conv_layer
from .conv_norm import ConvNormSequential
from .norm import build_norm_layer


class ResLayer(Sequential):
    """A stage of ``num_blocks`` residual blocks; the first one may downsample.

    Args:
        block (type): block class with an ``expansion`` attribute.
        inplanes (int): input channels.
        planes (int): block width; the stage outputs ``planes * expansion``.
        num_blocks (int): number of blocks.
        stride (int): stride of the first block (of the last one when
            ``downsample_first`` is False).
        avg_down (bool): downsample the shortcut with an AvgPool + 1x1 conv
            (ResNet-D) instead of a strided 1x1 conv.
        conv_cfg, norm_cfg (dict): layer configs.
        downsample_first (bool): put the downsampling block first (ResNet) or
            last (Hourglass).
        expansion (int, optional): overrides ``block.expansion`` (RegNet: 1).
        **kwargs: passed to every block.

    The shortcut is ``downsample`` = Sequential([AvgPool,] conv, norm), so its
    checkpoint keys are ``downsample.0``/``.1`` (``.1``/``.2`` with avg_down).
    """

    def __init__(self, block: type, inplanes: int, planes: int, num_blocks: int,
                 stride: int = 1, avg_down: bool = False, conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'), downsample_first: bool = True,  # noqa: B006
                 expansion: Optional[int] = None, **kwargs):
        self.block = block
        if expansion is not None:
            kwargs['expansion'] = expansion  # the block must accept it (Bottleneck does)
        else:
            expansion = block.expansion
        out_planes = planes * expansion
        downsample = None
        if stride != 1 or inplanes != out_planes:
            parts: list[nn.Module] = []
            conv_stride = stride
            if avg_down:
                conv_stride = 1
                parts.append(nn.AvgPool2d(kernel_size=stride, stride=stride, ceil_mode=True,
                                          count_include_pad=False))
            parts += [build_conv_layer(conv_cfg, inplanes, out_planes, kernel_size=1,
                                       stride=conv_stride, bias=False),
                      build_norm_layer(norm_cfg, out_planes)[1]]
            downsample = ConvNormSequential(*parts)

        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, **kwargs)
        layers = []
        if downsample_first:
            layers.append(block(inplanes=inplanes, planes=planes, stride=stride,
                                downsample=downsample, **common))
            for _ in range(1, num_blocks):
                layers.append(block(inplanes=out_planes, planes=planes, stride=1, **common))
        else:
            for _ in range(num_blocks - 1):
                layers.append(block(inplanes=inplanes, planes=inplanes, stride=1, **common))
            layers.append(block(inplanes=inplanes, planes=planes, stride=stride,
                                downsample=downsample, **common))
        super().__init__(*layers)
