"""``HRNet``: High-Resolution Network backbone (Sun et al., 2019), MMDetection 2.x layout."""
from __future__ import annotations

import warnings
from typing import Optional

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...registry import BACKBONES
from ...utils.suggest import did_you_mean
from ..layers.base_module import BaseModule, Sequential
from ..layers.conv import build_conv_layer
from ..layers.norm import build_norm_layer
from .basic_block import BasicBlock
from .bottleneck import Bottleneck
from .hr_module import HRModule, _conv_norm

_STAGE_KEYS = ('num_modules', 'num_branches', 'block', 'num_blocks', 'num_channels')


@BACKBONES.register_module()
class HRNet(BaseModule):
    """HRNet backbone.

    Args:
        extra (dict): ``stage1``..``stage4``, each with num_modules, num_branches,
            block ('BASIC' | 'BOTTLENECK'), num_blocks and num_channels (lists of
            num_branches entries). HRNetV2-W32::

                extra=dict(
                    stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK',
                                num_blocks=(4,), num_channels=(64,)),
                    stage2=dict(num_modules=1, num_branches=2, block='BASIC',
                                num_blocks=(4, 4), num_channels=(32, 64)),
                    stage3=dict(num_modules=4, num_branches=3, block='BASIC',
                                num_blocks=(4, 4, 4), num_channels=(32, 64, 128)),
                    stage4=dict(num_modules=3, num_branches=4, block='BASIC',
                                num_blocks=(4, 4, 4, 4), num_channels=(32, 64, 128, 256)))
        in_channels (int): input channels.
        conv_cfg, norm_cfg (dict): layer configs.
        norm_eval (bool): keep BN in eval mode while training.
        with_cp (bool): gradient checkpointing in the blocks.
        zero_init_residual (bool): the last norm of every block starts at zero.
        multiscale_output (bool): return all four branches, or branch 0 only.
        pretrained (str, optional): deprecated, use init_cfg.
        init_cfg (dict | list[dict], optional): initialisation config.

    Shapes: ``(B, 3, H, W)`` -> list of ``(B, C_i, H / 2**(i+2), W / 2**(i+2))`` with
    ``C_i`` = stage4's num_channels (times the block expansion).
    """

    blocks_dict = {'BASIC': BasicBlock, 'BOTTLENECK': Bottleneck}

    def __init__(self, extra: dict, in_channels: int = 3, conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),  # noqa: B006
                 norm_eval: bool = True, with_cp: bool = False, zero_init_residual: bool = False,
                 multiscale_output: bool = True, pretrained: Optional[str] = None,
                 init_cfg=None):
        super().__init__(init_cfg)
        if init_cfg and pretrained:
            raise ValueError('HRNet: init_cfg and pretrained cannot be given together')
        if isinstance(pretrained, str):
            warnings.warn('DeprecationWarning: pretrained is deprecated, please use "init_cfg" '
                          'instead', DeprecationWarning, stacklevel=2)
            self.init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        elif pretrained is None:
            if init_cfg is None:
                self.init_cfg = [dict(type='Kaiming', layer='Conv2d'),
                                 dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])]
        else:
            raise TypeError(f'HRNet: pretrained must be a str or None, '
                            f'but got {type(pretrained).__name__}')
        self._check_extra(extra)
        self.extra = extra
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.norm_eval = norm_eval
        self.with_cp = with_cp
        self.zero_init_residual = zero_init_residual

        # stem: two stride-2 3x3 convs to 64 channels
        self.norm1_name, norm1 = build_norm_layer(norm_cfg, 64, postfix=1)
        self.norm2_name, norm2 = build_norm_layer(norm_cfg, 64, postfix=2)
        self.conv1 = build_conv_layer(conv_cfg, in_channels, 64, kernel_size=3, stride=2,
                                      padding=1, bias=False)
        self.add_module(self.norm1_name, norm1)
        self.conv2 = build_conv_layer(conv_cfg, 64, 64, kernel_size=3, stride=2, padding=1,
                                      bias=False)
        self.add_module(self.norm2_name, norm2)
        self.relu = nn.ReLU(inplace=True)

        self.stage1_cfg = extra['stage1']
        block = self.blocks_dict[self.stage1_cfg['block']]
        width = self.stage1_cfg['num_channels'][0]
        self.layer1 = self._make_layer(block, 64, width, self.stage1_cfg['num_blocks'][0])
        pre_channels = [width * block.expansion]
        for s in (2, 3, 4):
            stage_cfg = extra[f'stage{s}']
            setattr(self, f'stage{s}_cfg', stage_cfg)
            block = self.blocks_dict[stage_cfg['block']]
            channels = [c * block.expansion for c in stage_cfg['num_channels']]
            self.add_module(f'transition{s - 1}', self._make_transition(pre_channels, channels))
            stage, pre_channels = self._make_stage(
                stage_cfg, channels, multiscale_output=multiscale_output if s == 4 else True)
            self.add_module(f'stage{s}', stage)

    def _check_extra(self, extra: dict) -> None:
        for s in range(1, 5):
            key = f'stage{s}'
            if key not in extra:
                raise KeyError(f'HRNet: extra must hold stage1..stage4; missing {key!r}')
            cfg = extra[key]
            missing = [k for k in _STAGE_KEYS if k not in cfg]
            if missing:
                raise KeyError(f'HRNet: extra[{key!r}] is missing {missing}')
            if cfg['block'] not in self.blocks_dict:
                raise KeyError(f"HRNet: extra[{key!r}]['block'] must be one of "
                               f"{list(self.blocks_dict)}, but got {cfg['block']!r}"
                               f"{did_you_mean(str(cfg['block']), self.blocks_dict)}")
            n = cfg['num_branches']
            if len(cfg['num_blocks']) != n or len(cfg['num_channels']) != n:
                raise ValueError(f'HRNet: extra[{key!r}] needs num_blocks and num_channels of '
                                 f'num_branches={n} entries, but got {cfg["num_blocks"]} and '
                                 f'{cfg["num_channels"]}')

    @property
    def norm1(self) -> nn.Module:
        return getattr(self, self.norm1_name)

    @property
    def norm2(self) -> nn.Module:
        return getattr(self, self.norm2_name)

    def _block_init_cfg(self, block: type) -> Optional[dict]:
        if not self.zero_init_residual:
            return None
        last = 'norm2' if block is BasicBlock else 'norm3'
        return dict(type='Constant', val=0, override=dict(name=last))

    def _make_transition(self, pre: list, cur: list) -> nn.ModuleList:
        """Adapt the branch widths; each new branch comes from the last one by stride-2 convs."""
        layers: list[Optional[nn.Module]] = []
        for i, c in enumerate(cur):
            if i < len(pre):
                layers.append(_conv_norm(self.conv_cfg, self.norm_cfg, pre[i], c, 3, 1, True,
                                         inplace=True) if c != pre[i] else None)
            else:
                steps = []
                for j in range(i + 1 - len(pre)):
                    c_in = pre[-1]
                    c_out = c if j == i - len(pre) else c_in
                    steps.append(_conv_norm(self.conv_cfg, self.norm_cfg, c_in, c_out, 3, 2,
                                            True, inplace=True))
                layers.append(nn.Sequential(*steps))
        return nn.ModuleList(layers)

    def _make_layer(self, block: type, inplanes: int, planes: int, blocks: int) -> Sequential:
        downsample = None
        if inplanes != planes * block.expansion:
            downsample = _conv_norm(self.conv_cfg, self.norm_cfg, inplanes,
                                    planes * block.expansion, 1, 1, relu=False)
        common = dict(with_cp=self.with_cp, norm_cfg=self.norm_cfg, conv_cfg=self.conv_cfg,
                      init_cfg=self._block_init_cfg(block))
        layers = [block(inplanes, planes, 1, downsample=downsample, **common)]
        for _ in range(1, blocks):
            layers.append(block(planes * block.expansion, planes, **common))
        return Sequential(*layers)

    def _make_stage(self, cfg: dict, in_channels: list,
                    multiscale_output: bool = True) -> tuple[Sequential, list]:
        block = self.blocks_dict[cfg['block']]
        modules = []
        for i in range(cfg['num_modules']):
            # only the stage's last module may drop the low-resolution outputs
            last = i == cfg['num_modules'] - 1
            modules.append(HRModule(
                cfg['num_branches'], block, cfg['num_blocks'], in_channels, cfg['num_channels'],
                multiscale_output or not last, with_cp=self.with_cp, norm_cfg=self.norm_cfg,
                conv_cfg=self.conv_cfg, block_init_cfg=self._block_init_cfg(block)))
        return Sequential(*modules), in_channels

    def forward(self, x: torch.Tensor) -> list:
        """``(B, C, H, W)`` -> list of the stage-4 branch outputs."""
        x = self.relu(self.norm1(self.conv1(x)))
        x = self.relu(self.norm2(self.conv2(x)))
        y_list = [self.layer1(x)]
        for s in (2, 3, 4):
            transition = getattr(self, f'transition{s - 1}')
            n = getattr(self, f'stage{s}_cfg')['num_branches']
            x_list = []
            for i in range(n):
                if transition[i] is None:
                    x_list.append(y_list[i])
                else:
                    # new branches grow from the lowest resolution
                    x_list.append(transition[i](y_list[min(i, len(y_list) - 1)]))
            y_list = getattr(self, f'stage{s}')(x_list)
        return y_list

    def train(self, mode: bool = True) -> HRNet:
        super().train(mode)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
