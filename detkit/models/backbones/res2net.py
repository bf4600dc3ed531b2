"""``Res2Net``: ResNet-D with Res2Net's multi-scale bottlenecks (Gao et al., 2019)."""
from __future__ import annotations

from typing import Optional

import torch.nn as nn

from ...registry import BACKBONES
from ..layers.base_module import Sequential
from ..layers.conv import build_conv_layer
from ..layers.norm import build_norm_layer
from .bottle2neck import Bottle2neck
from .resnet import ResNet, check_resnet_kwargs


def _res2_layer(block: type, inplanes: int, planes: int, num_blocks: int, stride: int = 1,
                avg_down: bool = True, conv_cfg: Optional[dict] = None,
                norm_cfg: Optional[dict] = None, scales: int = 4, base_width: int = 26,
                **kwargs) -> Sequential:
    """A Res2Net stage; the shortcut is always AvgPool + 1x1 conv + norm (ResNet-D)."""
    norm_cfg = norm_cfg or dict(type='BN')
    downsample = None
    if stride != 1 or inplanes != planes * block.expansion:
        downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=stride, stride=stride, ceil_mode=True,
                         count_include_pad=False),
            build_conv_layer(conv_cfg, inplanes, planes * block.expansion, kernel_size=1,
                             stride=1, bias=False),
            build_norm_layer(norm_cfg, planes * block.expansion)[1])
    common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, scales=scales, base_width=base_width,
                  **kwargs)
    layers = [block(inplanes=inplanes, planes=planes, stride=stride, downsample=downsample,
                    stage_type='stage', **common)]
    for _ in range(1, num_blocks):
        layers.append(block(inplanes=planes * block.expansion, planes=planes, stride=1,
                            **common))
    return Sequential(*layers)


@BACKBONES.register_module()
class Res2Net(ResNet):
    """Res2Net backbone (depth 50, 101 or 152): deep stem, average-pool shortcuts.

    Args:
        scales (int): groups per bottleneck.
        base_width (int): group width at 64 planes (26 for Res2Net-v1d-26w-4s).
        style (str): 'pytorch' only (as in MMDetection).
        deep_stem, avg_down (bool): fixed to True.
        **kwargs: the other :class:`ResNet` arguments.

    Shapes: as :class:`ResNet` (256, 512, 1024, 2048 output channels).
    """

    arch_settings = {
        50: (Bottle2neck, (3, 4, 6, 3)),
        101: (Bottle2neck, (3, 4, 23, 3)),
        152: (Bottle2neck, (3, 8, 36, 3)),
    }

    def __init__(self, scales: int = 4, base_width: int = 26, style: str = 'pytorch',
                 deep_stem: bool = True, avg_down: bool = True,
                 pretrained: Optional[str] = None, init_cfg=None, **kwargs):
        check_resnet_kwargs('Res2Net', kwargs)
        self.scales = scales
        self.base_width = base_width
        # MMDetection ignores the three arguments and always builds this variant
        super().__init__(style='pytorch', deep_stem=True, avg_down=True,
                         pretrained=pretrained, init_cfg=init_cfg, **kwargs)

    def make_res_layer(self, **kwargs) -> Sequential:
        return _res2_layer(scales=self.scales, base_width=self.base_width,
                           base_channels=self.base_channels, **kwargs)
