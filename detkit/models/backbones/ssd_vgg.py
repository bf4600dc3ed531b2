"""``SSDVGG``: VGG with SSD's pool5 / fc6 (dilated) / fc7 convs."""
from __future__ import annotations

import warnings
from typing import Optional, Sequence

import torch
import torch.nn as nn

from ...registry import BACKBONES
from ..layers.base_module import BaseModule


def _vgg_stage(inplanes: int, planes: int, num_blocks: int, dilation: int, with_bn: bool,
               ceil_mode: bool) -> list:
    layers: list[nn.Module] = []
    for _ in range(num_blocks):
        layers.append(nn.Conv2d(inplanes, planes, 3, padding=dilation, dilation=dilation))
        if with_bn:
            layers.append(nn.BatchNorm2d(planes))
        layers.append(nn.ReLU(inplace=True))
        inplanes = planes
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2, ceil_mode=ceil_mode))
    return layers


@BACKBONES.register_module()
class SSDVGG(BaseModule):
    """VGG backbone for SSD (mmcv's VGG ``features`` plus SSD's extra layers).

    Args:
        depth (int): 11, 13, 16 or 19.
        with_last_pool (bool): keep the pool after the fifth stage.
        ceil_mode (bool): ceil mode of the stage max pools (SSD: True).
        out_indices (Sequence[int]): kept for MMDetection compatibility (the
            outputs are chosen by ``out_feature_indices``).
        out_feature_indices (Sequence[int]): indices into ``features`` whose
            outputs are returned; (22, 34) are conv4_3 (after ReLU) and fc7 for VGG16.
        pretrained (str, optional): deprecated, use init_cfg.
        init_cfg (dict | list[dict], optional): initialisation config.
        input_size, l2_norm_scale: deprecated (moved to SSDNeck), ignored with a warning.

    Shapes: ``(B, 3, 300, 300)`` -> ``(B, 512, 38, 38), (B, 1024, 19, 19)`` for SSD300.
    """

    arch_settings = {11: (1, 1, 2, 2, 2), 13: (2, 2, 2, 2, 2), 16: (2, 2, 3, 3, 3),
                     19: (2, 2, 4, 4, 4)}

    def __init__(self, depth: int, with_last_pool: bool = False, ceil_mode: bool = True,
                 out_indices: Sequence[int] = (3, 4),
                 out_feature_indices: Sequence[int] = (22, 34),
                 pretrained: Optional[str] = None, init_cfg=None,
                 input_size: Optional[int] = None, l2_norm_scale: Optional[float] = None):
        super().__init__(init_cfg)
        if depth not in self.arch_settings:
            raise KeyError(f'invalid depth {depth!r} for SSDVGG; valid depths: '
                           f'{", ".join(str(d) for d in self.arch_settings)}')
        self.depth = depth
        self.stage_blocks = self.arch_settings[depth]
        self.out_indices = out_indices
        layers: list[nn.Module] = []
        inplanes = 3
        for i, num_blocks in enumerate(self.stage_blocks):
            planes = 64 * 2**i if i < 4 else 512
            layers += _vgg_stage(inplanes, planes, num_blocks, 1, False, ceil_mode)
            inplanes = planes
        if not with_last_pool:
            layers.pop(-1)
        # SSD: pool5 (3x3, stride 1), fc6 as a dilated 3x3 conv, fc7 as a 1x1 conv
        layers += [nn.MaxPool2d(kernel_size=3, stride=1, padding=1),
                   nn.Conv2d(512, 1024, kernel_size=3, padding=6, dilation=6),
                   nn.ReLU(inplace=True), nn.Conv2d(1024, 1024, kernel_size=1),
                   nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        bad = [i for i in out_feature_indices if not 0 <= i < len(self.features)]
        if bad:
            raise ValueError(f'SSDVGG: out_feature_indices {tuple(out_feature_indices)} must '
                             f'index features (0..{len(self.features) - 1}); bad: {bad}')
        self.out_feature_indices = out_feature_indices

        if init_cfg and pretrained:
            raise ValueError('SSDVGG: init_cfg and pretrained cannot be given together')
        if init_cfg is not None:
            self.init_cfg = init_cfg
        elif isinstance(pretrained, str):
            warnings.warn('DeprecationWarning: pretrained is deprecated, please use "init_cfg" '
                          'instead', DeprecationWarning, stacklevel=2)
            self.init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        elif pretrained is None:
            self.init_cfg = [dict(type='Kaiming', layer='Conv2d'),
                             dict(type='Constant', val=1, layer='BatchNorm2d'),
                             dict(type='Normal', std=0.01, layer='Linear')]
        else:
            raise TypeError(f'SSDVGG: pretrained must be a str or None, '
                            f'but got {type(pretrained).__name__}')
        if input_size is not None:
            warnings.warn('DeprecationWarning: input_size is deprecated', DeprecationWarning,
                          stacklevel=2)
        if l2_norm_scale is not None:
            warnings.warn('DeprecationWarning: l2_norm_scale in VGG is deprecated, it has been '
                          'moved to SSDNeck.', DeprecationWarning, stacklevel=2)

    def forward(self, x: torch.Tensor):
        """``(B, 3, H, W)`` -> the ``out_feature_indices`` outputs (a tensor if only one)."""
        outs = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.out_feature_indices:
                outs.append(x)
        return outs[0] if len(outs) == 1 else tuple(outs)
