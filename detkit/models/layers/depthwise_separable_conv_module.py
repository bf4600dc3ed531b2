"""``DepthwiseSeparableConvModule``: depthwise ConvModule + pointwise ConvModule."""
from __future__ import annotations

from typing import Optional, Union

import torch
import torch.nn as nn

from .conv_module import ConvModule

_DEFAULT = 'default'


class DepthwiseSeparableConvModule(nn.Module):
    """A depthwise conv (``groups=in_channels``) followed by a 1x1 pointwise conv.

    Args:
        in_channels, out_channels, kernel_size, stride, padding, dilation: as for
            the depthwise conv (the pointwise one is 1x1).
        norm_cfg, act_cfg: used by both convs unless ``dw_*``/``pw_*`` say otherwise.
        dw_norm_cfg, dw_act_cfg, pw_norm_cfg, pw_act_cfg: per-conv overrides;
            the string 'default' means "use norm_cfg / act_cfg".
        **kwargs: other ``ConvModule`` arguments (conv_cfg, bias, order, ...).

    Sub-modules: ``depthwise_conv``, ``pointwise_conv`` (checkpoint keys).
    Shapes: ``(B, in_channels, H, W) -> (B, out_channels, H', W')``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, tuple],
                 stride: Union[int, tuple] = 1, padding: Union[int, tuple] = 0,
                 dilation: Union[int, tuple] = 1, norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = dict(type='ReLU'),  # noqa: B006
                 dw_norm_cfg: Union[dict, str, None] = _DEFAULT,
                 dw_act_cfg: Union[dict, str, None] = _DEFAULT,
                 pw_norm_cfg: Union[dict, str, None] = _DEFAULT,
                 pw_act_cfg: Union[dict, str, None] = _DEFAULT, **kwargs):
        super().__init__()
        if 'groups' in kwargs:
            raise TypeError('DepthwiseSeparableConvModule does not take groups: the '
                            'depthwise conv always has groups=in_channels')
        dw_norm_cfg = norm_cfg if dw_norm_cfg == _DEFAULT else dw_norm_cfg
        dw_act_cfg = act_cfg if dw_act_cfg == _DEFAULT else dw_act_cfg
        pw_norm_cfg = norm_cfg if pw_norm_cfg == _DEFAULT else pw_norm_cfg
        pw_act_cfg = act_cfg if pw_act_cfg == _DEFAULT else pw_act_cfg
        self.depthwise_conv = ConvModule(in_channels, in_channels, kernel_size, stride=stride,
                                         padding=padding, dilation=dilation,
                                         groups=in_channels, norm_cfg=dw_norm_cfg,
                                         act_cfg=dw_act_cfg, **kwargs)
        self.pointwise_conv = ConvModule(in_channels, out_channels, 1, norm_cfg=pw_norm_cfg,
                                         act_cfg=pw_act_cfg, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise_conv(self.depthwise_conv(x))
