"""``FPN``: Feature Pyramid Network (Lin et al., 2017), MMDetection 2.x flavour."""
from __future__ import annotations

from typing import Optional, Union

import torch.nn as nn
import torch.nn.functional as F

from ...registry import NECKS
from ..layers.base_module import BaseModule
from ..layers.conv_module import ConvModule
from ._checks import check_neck_inputs

_EXTRA_MODES = ('on_input', 'on_lateral', 'on_output')


@NECKS.register_module()
class FPN(BaseModule):
    """Top-down feature pyramid with optional extra (stride-2) levels.

    Args:
        in_channels (list[int]): channels of each input level.
        out_channels (int): channels of every output level.
        num_outs (int): number of output levels.
        start_level (int): first input level used.
        end_level (int): last input level used (-1: the last one); when not the
            last, no extra levels are allowed.
        add_extra_convs (bool | str): how extra levels are made: False -> max
            pooling of the last output; 'on_input' (= True) -> a stride-2 conv on
            the last used input; 'on_lateral' -> on the last lateral;
            'on_output' -> on the last output.
        relu_before_extra_convs (bool): ReLU before every extra conv after the first.
        no_norm_on_lateral (bool): no norm in the 1x1 lateral convs.
        conv_cfg, norm_cfg, act_cfg (dict, optional): ConvModule configs.
        upsample_cfg (dict): ``F.interpolate`` arguments for the top-down path;
            without ``scale_factor`` the lower level's size is used.
        init_cfg (dict | list[dict]): default Xavier-uniform on Conv2d.

    Shapes: inputs ``(B, in_channels[l], H_l, W_l)`` -> ``num_outs`` maps
    ``(B, out_channels, H_l, W_l)``, each extra level half the previous size.
    Sub-modules: ``lateral_convs``, ``fpn_convs`` (extra convs appended to it).
    """

    def __init__(self, in_channels: list, out_channels: int, num_outs: int,
                 start_level: int = 0, end_level: int = -1,
                 add_extra_convs: Union[bool, str] = False, relu_before_extra_convs: bool = False,
                 no_norm_on_lateral: bool = False, conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None, act_cfg: Optional[dict] = None,
                 upsample_cfg: dict = dict(mode='nearest'),  # noqa: B006
                 init_cfg=dict(type='Xavier', layer='Conv2d', distribution='uniform')):  # noqa: B006
        super().__init__(init_cfg)
        if not isinstance(in_channels, (list, tuple)):
            raise TypeError(f'FPN: in_channels must be a list of ints, but got {in_channels!r}')
        self.in_channels = list(in_channels)
        self.out_channels = out_channels
        self.num_ins = len(in_channels)
        self.num_outs = num_outs
        self.relu_before_extra_convs = relu_before_extra_convs
        self.no_norm_on_lateral = no_norm_on_lateral
        self.upsample_cfg = dict(upsample_cfg)
        if not 0 <= start_level < self.num_ins:
            raise ValueError(f'FPN: start_level={start_level} must be in 0..{self.num_ins - 1} '
                             f'for {self.num_ins} inputs (in_channels={self.in_channels})')
        if end_level == -1 or end_level == self.num_ins - 1:
            self.backbone_end_level = self.num_ins
            if num_outs < self.num_ins - start_level:
                raise ValueError(f'FPN: num_outs={num_outs} must be at least the number of used '
                                 f'inputs ({self.num_ins - start_level})')
        else:
            # not ending at the last input: the outputs are exactly the used inputs
            if not start_level <= end_level < self.num_ins:
                raise ValueError(f'FPN: end_level={end_level} must be in '
                                 f'{start_level}..{self.num_ins - 1} or -1')
            self.backbone_end_level = end_level + 1
            if num_outs != end_level - start_level + 1:
                raise ValueError(f'FPN: with end_level={end_level}, num_outs must be '
                                 f'{end_level - start_level + 1}, but got {num_outs}')
        self.start_level = start_level
        self.end_level = end_level
        if isinstance(add_extra_convs, str):
            if add_extra_convs not in _EXTRA_MODES:
                raise ValueError(f'FPN: add_extra_convs must be a bool or one of {_EXTRA_MODES}, '
                                 f'but got {add_extra_convs!r}')
        elif not isinstance(add_extra_convs, bool):
            raise TypeError(f'FPN: add_extra_convs must be a bool or a str, '
                            f'but got {type(add_extra_convs).__name__}')
        elif add_extra_convs:
            add_extra_convs = 'on_input'  # True means 'on_input', as in MMDetection
        self.add_extra_convs = add_extra_convs

        self.lateral_convs = nn.ModuleList()
        self.fpn_convs = nn.ModuleList()
        for i in range(self.start_level, self.backbone_end_level):
            self.lateral_convs.append(ConvModule(
                in_channels[i], out_channels, 1, conv_cfg=conv_cfg,
                norm_cfg=norm_cfg if not no_norm_on_lateral else None, act_cfg=act_cfg,
                inplace=False))
            self.fpn_convs.append(ConvModule(
                out_channels, out_channels, 3, padding=1, conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                act_cfg=act_cfg, inplace=False))
        extra_levels = num_outs - self.backbone_end_level + self.start_level
        if self.add_extra_convs and extra_levels >= 1:
            for i in range(extra_levels):
                if i == 0 and self.add_extra_convs == 'on_input':
                    extra_in = self.in_channels[self.backbone_end_level - 1]
                else:
                    extra_in = out_channels
                self.fpn_convs.append(ConvModule(
                    extra_in, out_channels, 3, stride=2, padding=1, conv_cfg=conv_cfg,
                    norm_cfg=norm_cfg, act_cfg=act_cfg, inplace=False))

    def forward(self, inputs: tuple) -> tuple:
        """Inputs: one map per ``in_channels`` entry; returns ``num_outs`` maps."""
        check_neck_inputs(type(self).__name__, inputs, self.in_channels)
        laterals = self._top_down(inputs)
        outs = [self.fpn_convs[i](laterals[i]) for i in range(len(laterals))]
        return tuple(self._add_extra_levels(inputs, laterals, outs))

    def _top_down(self, inputs: tuple) -> list:
        """Lateral 1x1 convs, then add each upsampled coarser level to the finer one."""
        laterals = [conv(inputs[i + self.start_level])
                    for i, conv in enumerate(self.lateral_convs)]
        for i in range(len(laterals) - 1, 0, -1):
            if 'scale_factor' in self.upsample_cfg:
                up = F.interpolate(laterals[i], **self.upsample_cfg)
            else:
                up = F.interpolate(laterals[i], size=laterals[i - 1].shape[2:],
                                   **self.upsample_cfg)
            laterals[i - 1] = laterals[i - 1] + up
        return laterals

    def _add_extra_levels(self, inputs: tuple, laterals: list, outs: list) -> list:
        """Append levels until there are ``num_outs`` (max pooling or the extra convs)."""
        used = len(laterals)
        if self.num_outs <= used:
            return outs
        if not self.add_extra_convs:
            # kernel 1, stride 2: the "P6 by subsampling" of Faster R-CNN's FPN
            for _ in range(self.num_outs - used):
                outs.append(F.max_pool2d(outs[-1], 1, stride=2))
            return outs
        if self.add_extra_convs == 'on_input':
            source = inputs[self.backbone_end_level - 1]
        elif self.add_extra_convs == 'on_lateral':
            source = laterals[-1]
        else:
            source = outs[-1]
        outs.append(self.fpn_convs[used](source))
        for i in range(used + 1, self.num_outs):
            x = F.relu(outs[-1]) if self.relu_before_extra_convs else outs[-1]
            outs.append(self.fpn_convs[i](x))
        return outs
