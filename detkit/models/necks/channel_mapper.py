"""``ChannelMapper``: map every input level to the same number of channels."""
from __future__ import annotations

from typing import Optional

import torch.nn as nn

from ...registry import NECKS
from ..layers.base_module import BaseModule
from ..layers.conv_module import ConvModule
from ._checks import check_neck_inputs


@NECKS.register_module()
class ChannelMapper(BaseModule):
    """One ConvModule per input level, plus stride-2 extra convs up to ``num_outs``.

    Args:
        in_channels (list[int]): channels of each input level.
        out_channels (int): channels of every output.
        kernel_size (int): kernel of the per-level convs (padding keeps the size).
        conv_cfg, norm_cfg, act_cfg (dict, optional): ConvModule configs.
        num_outs (int, optional): number of outputs (default: one per input);
            the first extra conv reads the last input, later ones the previous output.

    Sub-modules: ``convs``, ``extra_convs`` (None without extra levels).
    Shapes: ``(B, in_channels[l], H_l, W_l) -> (B, out_channels, H_l, W_l)``.
    """

    def __init__(self, in_channels: list, out_channels: int, kernel_size: int = 3,
                 conv_cfg: Optional[dict] = None, norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = dict(type='ReLU'), num_outs: Optional[int] = None,  # noqa: B006
                 init_cfg=dict(type='Xavier', layer='Conv2d', distribution='uniform')):  # noqa: B006
        super().__init__(init_cfg)
        if not isinstance(in_channels, (list, tuple)):
            raise TypeError(f'ChannelMapper: in_channels must be a list of ints, '
                            f'but got {in_channels!r}')
        self.in_channels = list(in_channels)
        if num_outs is None:
            num_outs = len(in_channels)
        if num_outs < len(in_channels):
            raise ValueError(f'ChannelMapper: num_outs={num_outs} must be at least the number '
                             f'of inputs ({len(in_channels)})')
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.convs = nn.ModuleList([
            ConvModule(c, out_channels, kernel_size, padding=(kernel_size - 1) // 2, **cfgs)
            for c in in_channels])
        self.extra_convs = None
        if num_outs > len(in_channels):
            self.extra_convs = nn.ModuleList()
            for i in range(len(in_channels), num_outs):
                c = in_channels[-1] if i == len(in_channels) else out_channels
                self.extra_convs.append(ConvModule(c, out_channels, 3, stride=2, padding=1,
                                                   **cfgs))

    def forward(self, inputs: tuple) -> tuple:
        check_neck_inputs('ChannelMapper', inputs, self.in_channels)
        outs = [conv(x) for conv, x in zip(self.convs, inputs)]
        if self.extra_convs:
            for i, conv in enumerate(self.extra_convs):
                outs.append(conv(inputs[-1] if i == 0 else outs[-1]))
        return tuple(outs)
