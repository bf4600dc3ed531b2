"""``MobileNetV2`` backbone (Sandler et al., 2018), MMDetection 2.x layout."""
from __future__ import annotations

import warnings
from typing import Optional, Sequence

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...registry import BACKBONES
from ..layers.base_module import BaseModule
from ..layers.conv_module import ConvModule
from ..layers.inverted_residual import InvertedResidual
from ..layers.make_divisible import make_divisible
from .resnet import freeze


@BACKBONES.register_module()
class MobileNetV2(BaseModule):
    """MobileNetV2.

    Args:
        widen_factor (float): channel multiplier.
        out_indices (Sequence[int]): outputs among 0..7 (layer1..layer7, conv2).
        frozen_stages (int): -1..7; freezes conv1 and layer1..layer{k}.
        conv_cfg, norm_cfg, act_cfg (dict): ConvModule configs (ReLU6 default).
        norm_eval (bool): keep BN in eval mode while training.
        with_cp (bool): gradient checkpointing in the blocks.
        pretrained (str, optional): deprecated, use init_cfg.
        init_cfg (dict | list[dict], optional): initialisation config.

    Shapes: ``(B, 3, H, W)`` -> with the default out_indices (1, 2, 4, 7):
    ``(B, 24, H/4, W/4), (B, 32, H/8, W/8), (B, 96, H/16, W/16), (B, 1280, H/32, W/32)``.
    """

    # expand_ratio, channels, num_blocks, stride
    arch_settings = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2],
                     [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]

    def __init__(self, widen_factor: float = 1., out_indices: Sequence[int] = (1, 2, 4, 7),
                 frozen_stages: int = -1, conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'), act_cfg: dict = dict(type='ReLU6'),  # noqa: B006
                 norm_eval: bool = False, with_cp: bool = False,
                 pretrained: Optional[str] = None, init_cfg=None):
        super().__init__(init_cfg)
        if init_cfg and pretrained:
            raise ValueError('MobileNetV2: init_cfg and pretrained cannot be given together')
        if isinstance(pretrained, str):
            warnings.warn('DeprecationWarning: pretrained is deprecated, please use "init_cfg" '
                          'instead', DeprecationWarning, stacklevel=2)
            self.init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        elif pretrained is None:
            if init_cfg is None:
                self.init_cfg = [dict(type='Kaiming', layer='Conv2d'),
                                 dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])]
        else:
            raise TypeError(f'MobileNetV2: pretrained must be a str or None, '
                            f'but got {type(pretrained).__name__}')
        if not set(out_indices).issubset(range(8)):
            raise ValueError(f'MobileNetV2: out_indices must be a subset of 0..7, '
                             f'but got {tuple(out_indices)}')
        if frozen_stages not in range(-1, 8):
            raise ValueError(f'MobileNetV2: frozen_stages must be in -1..7, '
                             f'but got {frozen_stages}')
        self.widen_factor = widen_factor
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.with_cp = with_cp
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)

        self.in_channels = make_divisible(32 * widen_factor, 8)
        self.conv1 = ConvModule(3, self.in_channels, 3, stride=2, padding=1, **cfgs)
        self.layers = []
        for i, (expand_ratio, channels, num_blocks, stride) in enumerate(self.arch_settings):
            out_channels = make_divisible(channels * widen_factor, 8)
            blocks = []
            for j in range(num_blocks):
                blocks.append(InvertedResidual(
                    self.in_channels, out_channels,
                    mid_channels=int(round(self.in_channels * expand_ratio)),
                    stride=stride if j == 0 else 1, with_expand_conv=expand_ratio != 1,
                    with_cp=with_cp, **cfgs))
                self.in_channels = out_channels
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))
            self.layers.append(f'layer{i + 1}')
        self.out_channel = int(1280 * widen_factor) if widen_factor > 1.0 else 1280
        self.add_module('conv2', ConvModule(self.in_channels, self.out_channel, 1, **cfgs))
        self.layers.append('conv2')
        self._freeze_stages()

    def _freeze_stages(self) -> None:
        if self.frozen_stages >= 0:
            for p in self.conv1.parameters():
                p.requires_grad = False
        for i in range(1, self.frozen_stages + 1):
            freeze(getattr(self, f'layer{i}'))

    def train(self, mode: bool = True) -> MobileNetV2:
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    def forward(self, x: torch.Tensor) -> tuple:
        """``(B, 3, H, W)`` -> tuple of the ``out_indices`` outputs."""
        x = self.conv1(x)
        outs = []
        for i, name in enumerate(self.layers):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
