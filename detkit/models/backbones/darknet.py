"""``Darknet``: Darknet-53, the YOLOv3 backbone."""
from __future__ import annotations

import warnings
from typing import Optional, Sequence

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...registry import BACKBONES
from ..layers.base_module import BaseModule
from ..layers.conv_module import ConvModule
from ..layers.darknet_res_block import ResBlock
from .resnet import freeze


@BACKBONES.register_module()
class Darknet(BaseModule):
    """Darknet backbone.

    Args:
        depth (int): 53 only.
        out_indices (Sequence[int]): outputs among 0..5 (0: conv1, k: conv_res_block{k}).
        frozen_stages (int): -1..6; freezes the first ``frozen_stages`` of
            (conv1, conv_res_block1, ..., conv_res_block5), as in MMDetection.
        conv_cfg, norm_cfg, act_cfg (dict): ConvModule configs (LeakyReLU(0.1)).
        norm_eval (bool): keep BN in eval mode while training.
        pretrained (str, optional): deprecated, use init_cfg.
        init_cfg (dict | list[dict], optional): initialisation config.

    Shapes: ``(B, 3, H, W)`` -> with out_indices (3, 4, 5):
    ``(B, 256, H/8, W/8), (B, 512, H/16, W/16), (B, 1024, H/32, W/32)``.
    """

    # depth: (res blocks per stage, (in, out) channels per stage)
    arch_settings = {
        53: ((1, 2, 8, 8, 4), ((32, 64), (64, 128), (128, 256), (256, 512), (512, 1024))),
    }

    def __init__(self, depth: int = 53, out_indices: Sequence[int] = (3, 4, 5),
                 frozen_stages: int = -1, conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),  # noqa: B006
                 act_cfg: dict = dict(type='LeakyReLU', negative_slope=0.1),  # noqa: B006
                 norm_eval: bool = True, pretrained: Optional[str] = None, init_cfg=None):
        super().__init__(init_cfg)
        if depth not in self.arch_settings:
            raise KeyError(f'invalid depth {depth!r} for Darknet; valid depths: '
                           f'{", ".join(str(d) for d in self.arch_settings)}')
        self.depth = depth
        self.layers, self.channels = self.arch_settings[depth]
        n = len(self.layers) + 1
        if not set(out_indices).issubset(range(n)):
            raise ValueError(f'Darknet: out_indices must be a subset of 0..{n - 1}, '
                             f'but got {tuple(out_indices)}')
        if frozen_stages not in range(-1, n + 1):
            raise ValueError(f'Darknet: frozen_stages must be in -1..{n}, but got {frozen_stages}')
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.conv1 = ConvModule(3, 32, 3, padding=1, **cfgs)
        self.cr_blocks = ['conv1']
        for i, n_layers in enumerate(self.layers):
            name = f'conv_res_block{i + 1}'
            in_c, out_c = self.channels[i]
            self.add_module(name, self.make_conv_res_block(in_c, out_c, n_layers, **cfgs))
            self.cr_blocks.append(name)

        if init_cfg and pretrained:
            raise ValueError('Darknet: init_cfg and pretrained cannot be given together')
        if isinstance(pretrained, str):
            warnings.warn('DeprecationWarning: pretrained is deprecated, please use "init_cfg" '
                          'instead', DeprecationWarning, stacklevel=2)
            self.init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        elif pretrained is None:
            if init_cfg is None:
                self.init_cfg = [dict(type='Kaiming', layer='Conv2d'),
                                 dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])]
        else:
            raise TypeError(f'Darknet: pretrained must be a str or None, '
                            f'but got {type(pretrained).__name__}')
        self._freeze_stages()

    @staticmethod
    def make_conv_res_block(in_channels: int, out_channels: int, res_repeat: int,
                            conv_cfg: Optional[dict] = None,
                            norm_cfg: dict = dict(type='BN', requires_grad=True),  # noqa: B006
                            act_cfg: dict = dict(type='LeakyReLU', negative_slope=0.1)  # noqa: B006
                            ) -> nn.Sequential:
        """A stride-2 3x3 ConvModule (``conv``) followed by ``res0``..``res{n-1}``."""
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        model = nn.Sequential()
        model.add_module('conv', ConvModule(in_channels, out_channels, 3, stride=2, padding=1,
                                            **cfgs))
        for idx in range(res_repeat):
            model.add_module(f'res{idx}', ResBlock(out_channels, **cfgs))
        return model

    def _freeze_stages(self) -> None:
        for i in range(max(self.frozen_stages, 0)):
            freeze(getattr(self, self.cr_blocks[i]))

    def train(self, mode: bool = True) -> Darknet:
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    def forward(self, x: torch.Tensor) -> tuple:
        """``(B, 3, H, W)`` -> tuple of the ``out_indices`` outputs."""
        outs = []
        for i, name in enumerate(self.cr_blocks):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
