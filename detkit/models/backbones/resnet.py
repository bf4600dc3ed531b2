"""``ResNet``: the ResNet backbone of MMDetection 2.x (pytorch and caffe styles)."""
from __future__ import annotations

import copy
import inspect
import warnings
from typing import Optional, Sequence

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...registry import BACKBONES
from ...utils.suggest import did_you_mean
from ..layers.base_module import BaseModule
from ..layers.conv import build_conv_layer
from ..layers.conv_norm import ConvNormSequential, conv_norm
from ..layers.norm import build_norm_layer
from ..layers.res_layer import ResLayer
from ._block_utils import check_no_dcn
from .basic_block import BasicBlock
from .bottleneck import Bottleneck


def check_resnet_kwargs(owner: str, kwargs: dict) -> None:
    """Reject arguments ResNet does not take, naming the closest (``**kwargs`` subclasses)."""
    accepted = [n for n in inspect.signature(ResNet.__init__).parameters if n != 'self']
    for key in kwargs:
        if key not in accepted:
            raise TypeError(f'{owner} got an unexpected argument {key!r}'
                            f'{did_you_mean(key, accepted)}; accepted arguments: '
                            f'{", ".join(accepted)}')


def freeze(module: nn.Module) -> None:
    """Put ``module`` in eval mode and stop its parameters' gradients."""
    module.eval()
    for p in module.parameters():
        p.requires_grad = False


@BACKBONES.register_module()
class ResNet(BaseModule):
    """ResNet backbone.

    Args:
        depth (int): 18, 34, 50, 101 or 152.
        in_channels (int): input image channels.
        stem_channels (int, optional): stem output channels; default base_channels.
        base_channels (int): width of the first stage.
        num_stages (int): 1..4 residual stages.
        strides, dilations (Sequence[int]): per stage.
        out_indices (Sequence[int]): stages whose outputs are returned (0-based).
        style (str): 'pytorch' (stride on the 3x3 conv) or 'caffe' (on the 1x1).
        deep_stem (bool): three 3x3 convs (``stem``) instead of one 7x7 conv.
        avg_down (bool): AvgPool in the shortcut when downsampling (ResNet-D).
        frozen_stages (int): stages to freeze (-1: none, 0: stem only, k: stem
            and stages 1..k).
        conv_cfg, norm_cfg (dict): layer configs.
        norm_eval (bool): keep BatchNorm layers in eval mode while training.
        dcn (None), stage_with_dcn: deformable conv is not supported.
        plugins (list[dict], optional): block plugins, each
            ``dict(cfg=..., stages=(bool,)*num_stages, position=...)``.
        with_cp (bool): gradient checkpointing in the blocks.
        zero_init_residual (bool): the last norm of every block starts at zero.
        pretrained (str, optional): deprecated, use
            ``init_cfg=dict(type='Pretrained', checkpoint=...)``.
        init_cfg (dict | list[dict], optional): initialisation config.

    Shapes: ``(B, in_channels, H, W)`` -> a tuple with, per ``out_indices`` entry
    i, ``(B, base_channels * 2**i * expansion, H / 2**(i+2), W / 2**(i+2))`` for
    the default strides.
    """

    arch_settings = {
        18: (BasicBlock, (2, 2, 2, 2)),
        34: (BasicBlock, (3, 4, 6, 3)),
        50: (Bottleneck, (3, 4, 6, 3)),
        101: (Bottleneck, (3, 4, 23, 3)),
        152: (Bottleneck, (3, 8, 36, 3)),
    }

    def __init__(self, depth: int, in_channels: int = 3, stem_channels: Optional[int] = None,
                 base_channels: int = 64, num_stages: int = 4,
                 strides: Sequence[int] = (1, 2, 2, 2), dilations: Sequence[int] = (1, 1, 1, 1),
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
        name = type(self).__name__
        if depth not in self.arch_settings:
            valid = ', '.join(str(d) for d in self.arch_settings)
            raise KeyError(f'invalid depth {depth!r} for {name}; valid depths: {valid}')
        if not 1 <= num_stages <= 4:
            raise ValueError(f'{name}: num_stages must be in 1..4, but got {num_stages}')
        if len(strides) != num_stages or len(dilations) != num_stages:
            raise ValueError(f'{name}: strides {tuple(strides)} and dilations '
                             f'{tuple(dilations)} must both have num_stages={num_stages} entries')
        if not out_indices or max(out_indices) >= num_stages or min(out_indices) < 0:
            raise ValueError(f'{name}: out_indices {tuple(out_indices)} must be in '
                             f'0..{num_stages - 1} (num_stages={num_stages})')
        if not -1 <= frozen_stages <= num_stages:
            raise ValueError(f'{name}: frozen_stages must be in -1..{num_stages} (-1 freezes '
                             f'nothing, 0 the stem, k the stem and stages 1..k), '
                             f'but got {frozen_stages}')
        if style not in ('pytorch', 'caffe'):
            raise ValueError(f"{name}: style must be 'pytorch' or 'caffe', but got {style!r}"
                             f'{did_you_mean(str(style), ["pytorch", "caffe"])}')
        check_no_dcn(name, dcn)
        if init_cfg and pretrained:
            raise ValueError(f'{name}: init_cfg and pretrained cannot be given together')

        self.zero_init_residual = zero_init_residual
        block, stage_blocks = self.arch_settings[depth]
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
                    last_norm = 'norm2' if block is BasicBlock else 'norm3'
                    block_init_cfg = dict(type='Constant', val=0,
                                          override=dict(name=last_norm))
        else:
            raise TypeError(f'{name}: pretrained must be a str or None, '
                            f'but got {type(pretrained).__name__}')

        self.depth = depth
        self.stem_channels = base_channels if stem_channels is None else stem_channels
        self.base_channels = base_channels
        self.num_stages = num_stages
        self.strides = strides
        self.dilations = dilations
        self.out_indices = out_indices
        self.style = style
        self.deep_stem = deep_stem
        self.avg_down = avg_down
        self.frozen_stages = frozen_stages
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.with_cp = with_cp
        self.norm_eval = norm_eval
        self.dcn = dcn
        self.stage_with_dcn = stage_with_dcn
        self.plugins = plugins
        self.block = block
        self.stage_blocks = stage_blocks[:num_stages]
        self.inplanes = self.stem_channels

        self._make_stem_layer(in_channels, self.stem_channels)
        self.res_layers = []
        for i, num_blocks in enumerate(self.stage_blocks):
            planes = base_channels * 2**i
            stage_plugins = self.make_stage_plugins(plugins, i) if plugins is not None else None
            res_layer = self.make_res_layer(
                block=self.block, inplanes=self.inplanes, planes=planes, num_blocks=num_blocks,
                stride=strides[i], dilation=dilations[i], style=self.style,
                avg_down=self.avg_down, with_cp=with_cp, conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                dcn=None, plugins=stage_plugins, init_cfg=copy.deepcopy(block_init_cfg))
            self.inplanes = planes * self.block.expansion
            layer_name = f'layer{i + 1}'
            self.add_module(layer_name, res_layer)
            self.res_layers.append(layer_name)
        self._freeze_stages()
        self.feat_dim = self.block.expansion * base_channels * 2**(len(self.stage_blocks) - 1)

    def make_stage_plugins(self, plugins: list, stage_idx: int) -> list:
        """The plugins of stage ``stage_idx`` (those whose ``stages`` flag it, or all)."""
        out = []
        for plugin in plugins:
            plugin = dict(plugin)
            stages = plugin.pop('stages', None)
            if stages is not None and len(stages) != self.num_stages:
                raise ValueError(f'{type(self).__name__}: plugin stages {tuple(stages)} must '
                                 f'have num_stages={self.num_stages} entries')
            if stages is None or stages[stage_idx]:
                out.append(plugin)
        return out

    def make_res_layer(self, **kwargs) -> ResLayer:
        """Build one stage (subclasses add block arguments here)."""
        return ResLayer(**kwargs)

    @property
    def norm1(self) -> nn.Module:
        return getattr(self, self.norm1_name)

    def _make_stem_layer(self, in_channels: int, stem_channels: int) -> None:
        conv_cfg, norm_cfg = self.conv_cfg, self.norm_cfg
        if self.deep_stem:
            half = stem_channels // 2
            self.stem = ConvNormSequential(
                build_conv_layer(conv_cfg, in_channels, half, 3, stride=2, padding=1, bias=False),
                build_norm_layer(norm_cfg, half)[1], nn.ReLU(inplace=True),
                build_conv_layer(conv_cfg, half, half, 3, stride=1, padding=1, bias=False),
                build_norm_layer(norm_cfg, half)[1], nn.ReLU(inplace=True),
                build_conv_layer(conv_cfg, half, stem_channels, 3, stride=1, padding=1,
                                 bias=False),
                build_norm_layer(norm_cfg, stem_channels)[1], nn.ReLU(inplace=True))
        else:
            self.conv1 = build_conv_layer(conv_cfg, in_channels, stem_channels, kernel_size=7,
                                          stride=2, padding=3, bias=False)
            self.norm1_name, norm1 = build_norm_layer(norm_cfg, stem_channels, postfix=1)
            self.add_module(self.norm1_name, norm1)
            self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

    def _freeze_stages(self) -> None:
        if self.frozen_stages >= 0:
            if self.deep_stem:
                freeze(self.stem)
            else:
                freeze(self.conv1)
                freeze(self.norm1)
        for i in range(1, self.frozen_stages + 1):
            freeze(getattr(self, f'layer{i}'))

    def forward(self, x: torch.Tensor) -> tuple:
        """``(B, C, H, W)`` -> tuple of the ``out_indices`` stage outputs."""
        if self.deep_stem:
            x = self.stem(x)
        else:
            x = self.relu(conv_norm(x, self.conv1, self.norm1))
        x = self.maxpool(x)
        outs = []
        for i, layer_name in enumerate(self.res_layers):
            x = getattr(self, layer_name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def train(self, mode: bool = True) -> ResNet:
        """Train mode that keeps frozen stages (and BN, with norm_eval) in eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
