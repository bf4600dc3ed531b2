"""``CSPDarknet``: the YOLOX / YOLOv5 backbone."""
from __future__ import annotations

import math
from typing import Optional, Sequence

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...registry import BACKBONES
from ...utils.suggest import did_you_mean
from ..layers.base_module import BaseModule
from ..layers.conv_module import ConvModule
from ..layers.csp_layer import CSPLayer
from ..layers.darknet_bottleneck import YOLOX_ACT_CFG, YOLOX_NORM_CFG
from ..layers.depthwise_separable_conv_module import DepthwiseSeparableConvModule
from ..layers.focus import Focus
from ..layers.spp_bottleneck import SPPBottleneck
from .resnet import freeze

#: YOLOX's conv init (torch's own Conv2d default, written as an init_cfg)
YOLOX_INIT_CFG = dict(type='Kaiming', layer='Conv2d', a=math.sqrt(5), distribution='uniform',
                      mode='fan_in', nonlinearity='leaky_relu')


@BACKBONES.register_module()
class CSPDarknet(BaseModule):
    """CSP-Darknet backbone (YOLOv5 / YOLOX).

    Args:
        arch (str): 'P5' (4 stages, strides 8..32 outputs) or 'P6' (5 stages).
        deepen_factor (float): multiplies the number of blocks per stage.
        widen_factor (float): multiplies the channels.
        out_indices (Sequence[int]): outputs, 0 = stem, k = stage k.
        frozen_stages (int): freeze stem and stages up to this index (-1: none).
        use_depthwise (bool): depthwise-separable 3x3 convs.
        arch_ovewrite (list, optional): replaces the arch table (mmdet's spelling);
            rows ``[in, out, num_blocks, add_identity, use_spp]``.
        spp_kernal_sizes (Sequence[int]): SPP max-pool sizes (mmdet's spelling).
        conv_cfg, norm_cfg, act_cfg (dict): ConvModule configs.
        norm_eval (bool): keep BN in eval mode while training.
        init_cfg (dict): initialisation config.

    Shapes: ``(B, 3, H, W)`` -> per out index i: ``(B, C_i, H / 2**(i+1), W / 2**(i+1))``;
    for yolox_s (widen 0.5) the default outputs have 128, 256, 512 channels.
    """

    # in_channels, out_channels, num_blocks, add_identity, use_spp
    arch_settings = {
        'P5': [[64, 128, 3, True, False], [128, 256, 9, True, False],
               [256, 512, 9, True, False], [512, 1024, 3, False, True]],
        'P6': [[64, 128, 3, True, False], [128, 256, 9, True, False],
               [256, 512, 9, True, False], [512, 768, 3, True, False],
               [768, 1024, 3, False, True]],
    }

    def __init__(self, arch: str = 'P5', deepen_factor: float = 1.0, widen_factor: float = 1.0,
                 out_indices: Sequence[int] = (2, 3, 4), frozen_stages: int = -1,
                 use_depthwise: bool = False, arch_ovewrite: Optional[list] = None,
                 spp_kernal_sizes: Sequence[int] = (5, 9, 13), conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = YOLOX_NORM_CFG, act_cfg: dict = YOLOX_ACT_CFG,
                 norm_eval: bool = False, init_cfg=YOLOX_INIT_CFG):
        super().__init__(init_cfg)
        if arch not in self.arch_settings:
            raise KeyError(f'invalid arch {arch!r} for CSPDarknet'
                           f'{did_you_mean(str(arch), self.arch_settings)}; '
                           f'valid archs: {", ".join(self.arch_settings)}')
        arch_setting = arch_ovewrite if arch_ovewrite else self.arch_settings[arch]
        n = len(arch_setting)
        if not set(out_indices).issubset(range(n + 1)):
            raise ValueError(f'CSPDarknet: out_indices {tuple(out_indices)} must be in 0..{n} '
                             f'(0 is the stem) for arch {arch!r}')
        if frozen_stages not in range(-1, n + 1):
            raise ValueError(f'CSPDarknet: frozen_stages must be in -1..{n}, '
                             f'but got {frozen_stages}')
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.use_depthwise = use_depthwise
        self.norm_eval = norm_eval
        conv = DepthwiseSeparableConvModule if use_depthwise else ConvModule
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)

        self.stem = Focus(3, int(arch_setting[0][0] * widen_factor), kernel_size=3, **cfgs)
        self.layers = ['stem']
        for i, (in_ch, out_ch, num_blocks, add_identity, use_spp) in enumerate(arch_setting):
            in_ch, out_ch = int(in_ch * widen_factor), int(out_ch * widen_factor)
            num_blocks = max(round(num_blocks * deepen_factor), 1)
            stage = [conv(in_ch, out_ch, 3, stride=2, padding=1, **cfgs)]
            if use_spp:
                stage.append(SPPBottleneck(out_ch, out_ch, kernel_sizes=spp_kernal_sizes, **cfgs))
            stage.append(CSPLayer(out_ch, out_ch, num_blocks=num_blocks,
                                  add_identity=add_identity, use_depthwise=use_depthwise, **cfgs))
            self.add_module(f'stage{i + 1}', nn.Sequential(*stage))
            self.layers.append(f'stage{i + 1}')
        self._freeze_stages()

    def _freeze_stages(self) -> None:
        for i in range(self.frozen_stages + 1):
            freeze(getattr(self, self.layers[i]))

    def train(self, mode: bool = True) -> CSPDarknet:
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
        for i, name in enumerate(self.layers):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
