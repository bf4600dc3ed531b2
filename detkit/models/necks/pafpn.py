"""``PAFPN``: Path Aggregation Network's FPN (Liu et al., 2018)."""
from __future__ import annotations

from typing import Optional, Union

import torch.nn as nn

from ...registry import NECKS
from ..layers.conv_module import ConvModule
from ._checks import check_neck_inputs
from .fpn import FPN


@NECKS.register_module()
class PAFPN(FPN):
    """FPN plus a bottom-up path: ``N_{i+1} = P_{i+1} + downsample(N_i)``, then a 3x3 conv.

    Args: as :class:`FPN` (without ``upsample_cfg``: the top-down path uses
    nearest upsampling to the finer level's size).

    Extra sub-modules: ``downsample_convs`` (3x3, stride 2) and ``pafpn_convs``
    (3x3), one per used level after the first.
    Shapes: as :class:`FPN`.
    """

    def __init__(self, in_channels: list, out_channels: int, num_outs: int,
                 start_level: int = 0, end_level: int = -1,
                 add_extra_convs: Union[bool, str] = False, relu_before_extra_convs: bool = False,
                 no_norm_on_lateral: bool = False, conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None, act_cfg: Optional[dict] = None,
                 init_cfg=dict(type='Xavier', layer='Conv2d', distribution='uniform')):  # noqa: B006
        super().__init__(in_channels, out_channels, num_outs, start_level, end_level,
                         add_extra_convs, relu_before_extra_convs, no_norm_on_lateral,
                         conv_cfg, norm_cfg, act_cfg, init_cfg=init_cfg)
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg, inplace=False)
        self.downsample_convs = nn.ModuleList()
        self.pafpn_convs = nn.ModuleList()
        for _ in range(self.start_level + 1, self.backbone_end_level):
            self.downsample_convs.append(ConvModule(out_channels, out_channels, 3, stride=2,
                                                    padding=1, **cfgs))
            self.pafpn_convs.append(ConvModule(out_channels, out_channels, 3, padding=1, **cfgs))

    def forward(self, inputs: tuple) -> tuple:
        """Inputs: one map per ``in_channels`` entry; returns ``num_outs`` maps."""
        check_neck_inputs('PAFPN', inputs, self.in_channels)
        laterals = self._top_down(inputs)
        used = len(laterals)
        inter = [self.fpn_convs[i](laterals[i]) for i in range(used)]
        for i in range(used - 1):
            inter[i + 1] = inter[i + 1] + self.downsample_convs[i](inter[i])
        outs = [inter[0]] + [self.pafpn_convs[i - 1](inter[i]) for i in range(1, used)]
        return tuple(self._add_extra_levels(inputs, laterals, outs))
