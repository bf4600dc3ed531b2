"""``BasicBlock``: the two 3x3 convs residual block of ResNet-18/34."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn

from ..layers.base_module import BaseModule
from ..layers.conv import build_conv_layer
from ..layers.conv_norm import conv_norm
from ..layers.norm import build_norm_layer
from ._block_utils import check_no_dcn, maybe_checkpoint


class BasicBlock(BaseModule):
    """conv3x3-norm-relu-conv3x3-norm + shortcut, then relu.

    Args:
        inplanes (int): input channels.
        planes (int): output channels (``expansion`` is 1).
        stride, dilation (int): of the first conv.
        downsample (nn.Module, optional): shortcut projection.
        style (str): 'pytorch' or 'caffe' (no effect here, kept for the API).
        with_cp (bool): gradient checkpointing.
        conv_cfg, norm_cfg (dict): layer configs.
        dcn, plugins: not supported by BasicBlock (as in MMDetection).

    Shapes: ``(B, inplanes, H, W) -> (B, planes, H/stride, W/stride)``.
    """

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, dilation: int = 1,
                 downsample: Optional[nn.Module] = None, style: str = 'pytorch',
                 with_cp: bool = False, conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'), dcn: Optional[dict] = None,  # noqa: B006
                 plugins: Optional[list] = None, init_cfg=None):
        super().__init__(init_cfg)
        check_no_dcn('BasicBlock', dcn)
        if plugins:
            raise ValueError('BasicBlock does not take plugins; use a Bottleneck ResNet '
                             '(depth >= 50)')
        self.norm1_name, norm1 = build_norm_layer(norm_cfg, planes, postfix=1)
        self.norm2_name, norm2 = build_norm_layer(norm_cfg, planes, postfix=2)
        self.conv1 = build_conv_layer(conv_cfg, inplanes, planes, 3, stride=stride,
                                      padding=dilation, dilation=dilation, bias=False)
        self.add_module(self.norm1_name, norm1)
        self.conv2 = build_conv_layer(conv_cfg, planes, planes, 3, padding=1, bias=False)
        self.add_module(self.norm2_name, norm2)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride
        self.dilation = dilation
        self.with_cp = with_cp

    @property
    def norm1(self) -> nn.Module:
        return getattr(self, self.norm1_name)

    @property
    def norm2(self) -> nn.Module:
        return getattr(self, self.norm2_name)

    def _inner_forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(conv_norm(x, self.conv1, self.norm1))
        out = conv_norm(out, self.conv2, self.norm2)
        identity = x if self.downsample is None else self.downsample(x)
        out += identity  # in place, as torchvision: no new (B, planes, H, W) buffer
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(maybe_checkpoint(self._inner_forward, x, self.with_cp))
