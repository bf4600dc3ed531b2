"""``HRFPN``: HRNet's feature pyramid (concatenate all branches, then pool)."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as cp

from ...registry import NECKS
from ..layers.base_module import BaseModule
from ..layers.conv_module import ConvModule
from ._checks import check_neck_inputs


@NECKS.register_module()
class HRFPN(BaseModule):
    """Upsample every branch to branch 0's size (bilinear), concatenate, 1x1 reduce,
    pool to ``num_outs`` levels, 3x3 conv each.

    Args:
        in_channels (list[int]): channels of each HRNet branch.
        out_channels (int): output channels.
        num_outs (int): number of levels (level k is pooled by 2**k).
        pooling_type (str): 'AVG' or 'MAX'.
        conv_cfg, norm_cfg (dict, optional): ConvModule configs (the reduction
            conv has no norm, as in MMDetection).
        with_cp (bool): gradient checkpointing of the convs.
        stride (int): stride of the output convs.

    Shapes: branches ``(B, in_channels[i], H/2**i, W/2**i)`` -> ``num_outs`` maps
    ``(B, out_channels, H/2**k/stride, W/2**k/stride)``.
    """

    def __init__(self, in_channels: list, out_channels: int, num_outs: int = 5,
                 pooling_type: str = 'AVG', conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None, with_cp: bool = False, stride: int = 1,
                 init_cfg=dict(type='Caffe2Xavier', layer='Conv2d')):  # noqa: B006
        super().__init__(init_cfg)
        if not isinstance(in_channels, (list, tuple)):
            raise TypeError(f'HRFPN: in_channels must be a list of ints, but got {in_channels!r}')
        if pooling_type not in ('AVG', 'MAX'):
            raise ValueError(f"HRFPN: pooling_type must be 'AVG' or 'MAX', "
                             f"but got {pooling_type!r}")
        self.in_channels = list(in_channels)
        self.out_channels = out_channels
        self.num_ins = len(in_channels)
        self.num_outs = num_outs
        self.with_cp = with_cp
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.reduction_conv = ConvModule(sum(in_channels), out_channels, kernel_size=1,
                                         conv_cfg=conv_cfg, act_cfg=None)
        self.fpn_convs = nn.ModuleList([
            ConvModule(out_channels, out_channels, kernel_size=3, padding=1, stride=stride,
                       conv_cfg=conv_cfg, act_cfg=None) for _ in range(num_outs)])
        self.pooling = F.max_pool2d if pooling_type == 'MAX' else F.avg_pool2d

    def _run(self, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
        if self.with_cp and x.requires_grad:
            return cp.checkpoint(module, x, use_reentrant=False)
        return module(x)

    def forward(self, inputs: tuple) -> tuple:
        check_neck_inputs('HRFPN', inputs, self.in_channels)
        outs = [inputs[0]] + [F.interpolate(inputs[i], scale_factor=2**i, mode='bilinear')
                              for i in range(1, self.num_ins)]
        out = self._run(self.reduction_conv, torch.cat(outs, dim=1))
        pyramid = [out] + [self.pooling(out, kernel_size=2**i, stride=2**i)
                           for i in range(1, self.num_outs)]
        return tuple(self._run(conv, p) for conv, p in zip(self.fpn_convs, pyramid))
