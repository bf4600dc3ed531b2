"""``Bottle2neck``: Res2Net's bottleneck with hierarchical multi-scale 3x3 convs."""
from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn as nn

from ..layers.base_module import BaseModule
from ..layers.conv import build_conv_layer
from ..layers.norm import build_norm_layer
from ._block_utils import check_no_dcn, maybe_checkpoint


class Bottle2neck(BaseModule):
    """1x1 conv to ``scales`` groups of ``width`` channels; group i (i >= 1) adds the
    previous group's output before its 3x3 conv; the last group passes through; 1x1 conv.

    Args:
        inplanes (int): input channels.
        planes (int): base width; the block outputs ``planes * 4`` channels.
        scales (int): number of groups (> 1).
        base_width (int): group width at ``base_channels`` planes:
            ``width = floor(planes * base_width / base_channels)``.
        base_channels (int): see ``base_width``.
        stage_type (str): 'stage' for the first block of a stage (no hierarchy,
            the pass-through group is average-pooled when striding), else 'normal'.
        stride, dilation, downsample, style, with_cp, conv_cfg, norm_cfg: as
            :class:`Bottleneck`.
        dcn, plugins: not supported.

    Sub-modules (checkpoint keys, in MMDetection's order): ``conv1``, ``bn1``,
    ``conv3``, ``bn3``, ``downsample``, ``convs``, ``bns``.
    Shapes: ``(B, inplanes, H, W) -> (B, 4 * planes, H/stride, W/stride)``.
    """

    expansion = 4

    def __init__(self, inplanes: int, planes: int, scales: int = 4, base_width: int = 26,
                 base_channels: int = 64, stage_type: str = 'normal', stride: int = 1,
                 dilation: int = 1, downsample: Optional[nn.Module] = None,
                 style: str = 'pytorch', with_cp: bool = False,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),  # noqa: B006
                 dcn: Optional[dict] = None, plugins: Optional[list] = None, init_cfg=None):
        super().__init__(init_cfg)
        if scales <= 1:
            raise ValueError(f'Bottle2neck: scales must be > 1 (Res2Net with scales=1 is a '
                             f'ResNet), but got {scales}')
        if stage_type not in ('normal', 'stage'):
            raise ValueError(f"Bottle2neck: stage_type must be 'normal' or 'stage', "
                             f"but got {stage_type!r}")
        check_no_dcn('Bottle2neck', dcn)
        if plugins:
            raise ValueError('Bottle2neck (Res2Net) does not take plugins')
        self.inplanes = inplanes
        self.planes = planes
        self.stride = stride
        self.dilation = dilation
        self.with_cp = with_cp
        self.conv1_stride, self.conv2_stride = (1, stride) if style == 'pytorch' else (stride, 1)
        self.scales = scales
        self.stage_type = stage_type
        self.width = width = int(math.floor(planes * (base_width / base_channels)))
        out_planes = planes * self.expansion

        self.norm1_name, norm1 = build_norm_layer(norm_cfg, width * scales, postfix=1)
        self.norm3_name, norm3 = build_norm_layer(norm_cfg, out_planes, postfix=3)
        self.conv1 = build_conv_layer(conv_cfg, inplanes, width * scales, kernel_size=1,
                                      stride=self.conv1_stride, bias=False)
        self.add_module(self.norm1_name, norm1)
        self.conv3 = build_conv_layer(conv_cfg, width * scales, out_planes, kernel_size=1,
                                      bias=False)
        self.add_module(self.norm3_name, norm3)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        if stage_type == 'stage' and self.conv2_stride != 1:
            self.pool = nn.AvgPool2d(kernel_size=3, stride=self.conv2_stride, padding=1)
        self.convs = nn.ModuleList([
            build_conv_layer(conv_cfg, width, width, kernel_size=3, stride=self.conv2_stride,
                             padding=dilation, dilation=dilation, bias=False)
            for _ in range(scales - 1)])
        self.bns = nn.ModuleList([build_norm_layer(norm_cfg, width, postfix=i + 1)[1]
                                  for i in range(scales - 1)])

    @property
    def norm1(self) -> nn.Module:
        return getattr(self, self.norm1_name)

    @property
    def norm3(self) -> nn.Module:
        return getattr(self, self.norm3_name)

    def _inner_forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.norm1(self.conv1(x)))
        spx = torch.split(out, self.width, 1)
        sp = self.relu(self.bns[0](self.convs[0](spx[0].contiguous())))
        parts = [sp]
        for i in range(1, self.scales - 1):
            sp = spx[i] if self.stage_type == 'stage' else sp + spx[i]
            sp = self.relu(self.bns[i](self.convs[i](sp.contiguous())))
            parts.append(sp)
        last = spx[self.scales - 1]
        if self.stage_type == 'stage' and self.conv2_stride != 1:
            last = self.pool(last)
        out = self.norm3(self.conv3(torch.cat(parts + [last], 1)))
        identity = x if self.downsample is None else self.downsample(x)
        return out + identity

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(maybe_checkpoint(self._inner_forward, x, self.with_cp))
