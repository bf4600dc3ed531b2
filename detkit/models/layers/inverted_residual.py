"""``InvertedResidual``: MobileNetV2's expand -> depthwise -> linear block."""
from __future__ import annotations

from typing import Optional

import torch
import torch.utils.checkpoint as cp

from .base_module import BaseModule
from .conv_module import ConvModule
from .se_layer import SELayer


class InvertedResidual(BaseModule):
    """1x1 expand conv (optional), kxk depthwise conv, optional SE, 1x1 linear conv.

    Args:
        in_channels, out_channels (int): channels; the shortcut is used when
            they are equal and ``stride == 1``.
        mid_channels (int): expanded channels.
        kernel_size (int): depthwise kernel size.
        stride (int): 1 or 2.
        se_cfg (dict, optional): :class:`SELayer` arguments.
        with_expand_conv (bool): without it ``mid_channels`` must equal ``in_channels``.
        conv_cfg, norm_cfg, act_cfg (dict): ConvModule configs (the linear conv
            has no activation).
        with_cp (bool): gradient checkpointing.

    Sub-modules: ``expand_conv``, ``depthwise_conv``, ``se``, ``linear_conv``.
    Shapes: ``(B, in_channels, H, W) -> (B, out_channels, H/stride, W/stride)``.
    """

    def __init__(self, in_channels: int, out_channels: int, mid_channels: int,
                 kernel_size: int = 3, stride: int = 1, se_cfg: Optional[dict] = None,
                 with_expand_conv: bool = True, conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'), act_cfg: dict = dict(type='ReLU'),  # noqa: B006
                 with_cp: bool = False, init_cfg=None):
        super().__init__(init_cfg)
        if stride not in (1, 2):
            raise ValueError(f'InvertedResidual: stride must be 1 or 2, but got {stride}')
        if not with_expand_conv and mid_channels != in_channels:
            raise ValueError(f'InvertedResidual: without an expand conv mid_channels '
                             f'({mid_channels}) must equal in_channels ({in_channels})')
        self.with_res_shortcut = stride == 1 and in_channels == out_channels
        self.with_cp = with_cp
        self.with_se = se_cfg is not None
        self.with_expand_conv = with_expand_conv
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        if with_expand_conv:
            self.expand_conv = ConvModule(in_channels, mid_channels, 1, act_cfg=act_cfg, **cfgs)
        self.depthwise_conv = ConvModule(mid_channels, mid_channels, kernel_size, stride=stride,
                                         padding=kernel_size // 2, groups=mid_channels,
                                         act_cfg=act_cfg, **cfgs)
        if self.with_se:
            self.se = SELayer(**se_cfg)
        self.linear_conv = ConvModule(mid_channels, out_channels, 1, act_cfg=None, **cfgs)

    def _inner_forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.expand_conv(x) if self.with_expand_conv else x
        out = self.depthwise_conv(out)
        if self.with_se:
            out = self.se(out)
        out = self.linear_conv(out)
        return x + out if self.with_res_shortcut else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.with_cp and x.requires_grad:
            return cp.checkpoint(self._inner_forward, x, use_reentrant=False)
        return self._inner_forward(x)
