"""``RegNet``: RegNetX backbones (Radosavovic et al., 2020), MMDetection 2.x layout."""
from __future__ import annotations

import warnings
from typing import Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...registry import BACKBONES
from ...utils.suggest import did_you_mean
from ..layers.base_module import BaseModule
from ..layers.conv import build_conv_layer
from ..layers.norm import build_norm_layer
from ..layers.res_layer import ResLayer
from ._block_utils import check_no_dcn
from .bottleneck import Bottleneck
from .resnet import freeze

_ARCH_KEYS = ('w0', 'wa', 'wm', 'group_w', 'depth', 'bot_mul')


def generate_regnet(w0: float, wa: float, wm: float, depth: int,
                    divisor: int = 8) -> tuple[list, int]:
    """Per-block widths of the quantised linear RegNet rule, and the number of stages."""
    if not (wa >= 0 and w0 > 0 and wm > 1 and w0 % divisor == 0):
        raise ValueError(f'RegNet arch needs wa >= 0, w0 > 0, wm > 1 and w0 % {divisor} == 0, '
                         f'but got w0={w0}, wa={wa}, wm={wm}')
    widths_cont = np.arange(depth) * wa + w0
    ks = np.round(np.log(widths_cont / w0) / np.log(wm))
    widths = np.round(w0 * np.power(wm, ks) / divisor) * divisor
    return widths.astype(int).tolist(), len(np.unique(widths))


def stages_from_blocks(widths: list) -> tuple[list, list]:
    """Group equal consecutive block widths into stages: (stage widths, blocks per stage)."""
    diff = [w != prev for w, prev in zip(widths + [0], [0] + widths)]
    stage_widths = [w for w, d in zip(widths, diff[:-1]) if d]
    stage_blocks = np.diff([i for i, d in enumerate(diff) if d]).tolist()
    return stage_widths, stage_blocks


def adjust_width_group(widths: list, bot_muls: list, groups: list) -> tuple[list, list]:
    """Make each bottleneck width a multiple of its group width."""
    bot_widths = [int(w * b) for w, b in zip(widths, bot_muls)]
    groups = [min(g, wb) for g, wb in zip(groups, bot_widths)]
    bot_widths = [int(round(wb / g) * g) for wb, g in zip(bot_widths, groups)]
    widths = [int(wb / b) for wb, b in zip(bot_widths, bot_muls)]
    return widths, groups


@BACKBONES.register_module()
class RegNet(BaseModule):
    """RegNetX backbone.

    Args:
        arch (str | dict): 'regnetx_400mf', 'regnetx_800mf', 'regnetx_1.6gf',
            'regnetx_3.2gf', 'regnetx_4.0gf', 'regnetx_6.4gf', 'regnetx_8.0gf',
            'regnetx_12gf', or a dict with w0, wa, wm, group_w, depth, bot_mul.
        in_channels (int): input channels.
        stem_channels (int): channels of the 3x3 stride-2 stem conv.
        base_channels (int): kept for MMDetection compatibility (unused).
        strides, dilations, out_indices, style, deep_stem, avg_down, frozen_stages,
        conv_cfg, norm_cfg, norm_eval, dcn, stage_with_dcn, plugins, with_cp,
        zero_init_residual, pretrained, init_cfg: as for :class:`ResNet`.

    Shapes: ``(B, 3, H, W)`` -> per out index i ``(B, stage_widths[i], H / 2**(i+2),
    W / 2**(i+2))`` (e.g. 96, 192, 432, 1008 channels for regnetx_3.2gf).
    """

    arch_settings = {
        'regnetx_400mf': dict(w0=24, wa=24.48, wm=2.54, group_w=16, depth=22, bot_mul=1.0),
        'regnetx_800mf': dict(w0=56, wa=35.73, wm=2.28, group_w=16, depth=16, bot_mul=1.0),
        'regnetx_1.6gf': dict(w0=80, wa=34.01, wm=2.25, group_w=24, depth=18, bot_mul=1.0),
        'regnetx_3.2gf': dict(w0=88, wa=26.31, wm=2.25, group_w=48, depth=25, bot_mul=1.0),
        'regnetx_4.0gf': dict(w0=96, wa=38.65, wm=2.43, group_w=40, depth=23, bot_mul=1.0),
        'regnetx_6.4gf': dict(w0=184, wa=60.83, wm=2.07, group_w=56, depth=17, bot_mul=1.0),
        'regnetx_8.0gf': dict(w0=80, wa=49.56, wm=2.88, group_w=120, depth=23, bot_mul=1.0),
        'regnetx_12gf': dict(w0=168, wa=73.36, wm=2.37, group_w=112, depth=19, bot_mul=1.0),
    }

    def __init__(self, arch: Union[str, dict], in_channels: int = 3, stem_channels: int = 32,
                 base_channels: int = 32, strides: Sequence[int] = (2, 2, 2, 2),
                 dilations: Sequence[int] = (1, 1, 1, 1),
                 out_indices: Sequence[int] = (0, 1, 2, 3), style: str = 'pytorch',
                 deep_stem: bool = False, avg_down: bool = False, frozen_stages: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', requires_grad=True), norm_eval: bool = True,  # noqa: B006
                 dcn: Optional[dict] = None,
                 stage_with_dcn: Sequence[bool] = (False, False, False, False),
                 plugins: Optional[list] = None, with_cp: bool = False,
                 zero_init_residual: bool = True, pretrained: Optional[str] = None,
                 init_cfg=None):
        super().__init__(init_cfg)
        if isinstance(arch, str):
            if arch not in self.arch_settings:
                raise KeyError(f'invalid arch {arch!r} for RegNet'
                               f'{did_you_mean(arch, self.arch_settings)}; valid archs: '
                               f'{", ".join(self.arch_settings)}')
            arch = self.arch_settings[arch]
        elif not isinstance(arch, dict):
            raise TypeError(f'RegNet: arch must be a str or a dict, but got {type(arch).__name__}')
        missing = [k for k in _ARCH_KEYS if k not in arch]
        if missing:
            raise KeyError(f'RegNet: an arch dict needs the keys {_ARCH_KEYS}; missing {missing}')
        check_no_dcn('RegNet', dcn)
        if deep_stem:
            raise ValueError('RegNet has a single-conv stem; deep_stem=True is not supported')
        if init_cfg and pretrained:
            raise ValueError('RegNet: init_cfg and pretrained cannot be given together')

        widths, num_stages = generate_regnet(arch['w0'], arch['wa'], arch['wm'], arch['depth'])
        stage_widths, stage_blocks = stages_from_blocks(widths)
        bot_muls = [arch['bot_mul']] * num_stages
        stage_widths, group_widths = adjust_width_group(stage_widths, bot_muls,
                                                        [arch['group_w']] * num_stages)
        if not 1 <= num_stages <= 4:
            raise ValueError(f'RegNet: the arch gives {num_stages} stages; 1..4 are supported')
        if len(strides) != num_stages or len(dilations) != num_stages:
            raise ValueError(f'RegNet: strides {tuple(strides)} and dilations '
                             f'{tuple(dilations)} must have {num_stages} entries')
        if not out_indices or max(out_indices) >= num_stages:
            raise ValueError(f'RegNet: out_indices {tuple(out_indices)} must be in '
                             f'0..{num_stages - 1}')
        if not -1 <= frozen_stages <= num_stages:
            raise ValueError(f'RegNet: frozen_stages must be in -1..{num_stages}, '
                             f'but got {frozen_stages}')

        block_init_cfg = None
        if isinstance(pretrained, str):
            warnings.warn('DeprecationWarning: pretrained is deprecated, please use "init_cfg" '
                          'instead', DeprecationWarning, stacklevel=2)
            self.init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        elif pretrained is None:
            if init_cfg is None:
                self.init_cfg = [dict(type='Kaiming', layer='Conv2d'),
                                 dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])]
                if zero_init_residual:
                    block_init_cfg = dict(type='Constant', val=0, override=dict(name='norm3'))
        else:
            raise TypeError(f'RegNet: pretrained must be a str or None, '
                            f'but got {type(pretrained).__name__}')

        self.stage_widths = stage_widths
        self.group_widths = group_widths
        self.bottleneck_ratio = bot_muls
        self.depth = sum(stage_blocks)
        self.stem_channels = stem_channels
        self.base_channels = base_channels
        self.num_stages = num_stages
        self.strides = strides
        self.dilations = dilations
        self.out_indices = out_indices
        self.style = style
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.stage_blocks = stage_blocks[:num_stages]

        self.conv1 = build_conv_layer(conv_cfg, in_channels, stem_channels, kernel_size=3,
                                      stride=2, padding=1, bias=False)
        self.norm1_name, norm1 = build_norm_layer(norm_cfg, stem_channels, postfix=1)
        self.add_module(self.norm1_name, norm1)
        self.relu = nn.ReLU(inplace=True)

        inplanes = stem_channels
        self.res_layers = []
        for i, num_blocks in enumerate(self.stage_blocks):
            width = int(round(stage_widths[i] * bot_muls[i]))
            stage_plugins = None
            if plugins is not None:
                stage_plugins = [{k: v for k, v in p.items() if k != 'stages'} for p in plugins
                                 if p.get('stages') is None or p['stages'][i]]
            layer = ResLayer(block=Bottleneck, inplanes=inplanes, planes=stage_widths[i],
                             num_blocks=num_blocks, stride=strides[i], dilation=dilations[i],
                             style=style, avg_down=avg_down, with_cp=with_cp,
                             conv_cfg=conv_cfg, norm_cfg=norm_cfg, plugins=stage_plugins,
                             groups=width // group_widths[i], base_width=group_widths[i],
                             base_channels=stage_widths[i], expansion=1,
                             init_cfg=block_init_cfg)
            inplanes = stage_widths[i]
            self.add_module(f'layer{i + 1}', layer)
            self.res_layers.append(f'layer{i + 1}')
        self._freeze_stages()
        self.feat_dim = stage_widths[-1]

    @property
    def norm1(self) -> nn.Module:
        return getattr(self, self.norm1_name)

    def _freeze_stages(self) -> None:
        if self.frozen_stages >= 0:
            freeze(self.conv1)
            freeze(self.norm1)
        for i in range(1, self.frozen_stages + 1):
            freeze(getattr(self, f'layer{i}'))

    def train(self, mode: bool = True) -> RegNet:
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    def forward(self, x: torch.Tensor) -> tuple:
        """``(B, C, H, W)`` -> tuple of the ``out_indices`` stage outputs."""
        x = self.relu(self.norm1(self.conv1(x)))
        outs = []
        for i, name in enumerate(self.res_layers):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
