"""``HRModule``: parallel multi-resolution branches with all-to-all fusion (HRNet)."""
from __future__ import annotations

from typing import Optional

import torch.nn as nn

from ..layers.base_module import BaseModule, ModuleList, Sequential
from ..layers.conv import build_conv_layer
from ..layers.norm import build_norm_layer


def _conv_norm(conv_cfg: Optional[dict], norm_cfg: dict, c_in: int, c_out: int, k: int,
               stride: int, relu: bool, inplace: bool = False) -> nn.Sequential:
    """conv (no bias) + norm [+ ReLU], the unit of HRNet's transitions and fusions."""
    layers = [build_conv_layer(conv_cfg, c_in, c_out, kernel_size=k, stride=stride,
                               padding=(k - 1) // 2, bias=False),
              build_norm_layer(norm_cfg, c_out)[1]]
    if relu:
        layers.append(nn.ReLU(inplace=inplace))
    return nn.Sequential(*layers)


class HRModule(BaseModule):
    """One HRNet module: ``num_branches`` residual branches, then fusion.

    Branch ``i`` runs at 1/2**i of branch 0's resolution. Fusion output ``i`` sums
    every branch ``j``: itself (j == i), a 1x1 conv + norm + nearest upsampling
    (j > i), or a chain of stride-2 3x3 convs (j < i); then ReLU.

    Args:
        num_branches (int): number of branches.
        blocks (type): BasicBlock or Bottleneck.
        num_blocks (list[int]): blocks per branch.
        in_channels (list[int]): input channels per branch (updated in place to
            the output channels, as MMDetection does).
        num_channels (list[int]): block widths per branch.
        multiscale_output (bool): fuse into every branch, or into branch 0 only.
        with_cp, conv_cfg, norm_cfg: as for the blocks.
        block_init_cfg (dict, optional): init_cfg of every block.

    Shapes: list of ``(B, in_channels[i], H/2**i, W/2**i)`` -> list of
    ``(B, C_i, H/2**i, W/2**i)`` (one entry without multiscale output).
    """

    def __init__(self, num_branches: int, blocks: type, num_blocks: list, in_channels: list,
                 num_channels: list, multiscale_output: bool = True, with_cp: bool = False,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),  # noqa: B006
                 block_init_cfg: Optional[dict] = None, init_cfg=None):
        super().__init__(init_cfg)
        for name, value in (('num_blocks', num_blocks), ('in_channels', in_channels),
                            ('num_channels', num_channels)):
            if len(value) != num_branches:
                raise ValueError(f'HRModule: num_branches({num_branches}) != '
                                 f'len({name})({len(value)})')
        self.in_channels = in_channels
        self.num_branches = num_branches
        self.multiscale_output = multiscale_output
        self.norm_cfg = norm_cfg
        self.conv_cfg = conv_cfg
        self.with_cp = with_cp
        self.block_init_cfg = block_init_cfg
        self.branches = ModuleList([self._make_branch(i, blocks, num_blocks, num_channels)
                                    for i in range(num_branches)])
        self.fuse_layers = self._make_fuse_layers()
        self.relu = nn.ReLU(inplace=False)

    def _make_branch(self, i: int, block: type, num_blocks: list,
                     num_channels: list) -> Sequential:
        out_c = num_channels[i] * block.expansion
        downsample = None
        if self.in_channels[i] != out_c:
            downsample = _conv_norm(self.conv_cfg, self.norm_cfg, self.in_channels[i], out_c, 1,
                                    1, relu=False)
        common = dict(with_cp=self.with_cp, norm_cfg=self.norm_cfg, conv_cfg=self.conv_cfg,
                      init_cfg=self.block_init_cfg)
        layers = [block(self.in_channels[i], num_channels[i], 1, downsample=downsample,
                        **common)]
        self.in_channels[i] = out_c
        for _ in range(1, num_blocks[i]):
            layers.append(block(out_c, num_channels[i], **common))
        return Sequential(*layers)

    def _make_fuse_layers(self) -> Optional[nn.ModuleList]:
        if self.num_branches == 1:
            return None
        c = self.in_channels
        fuse_layers = []
        for i in range(self.num_branches if self.multiscale_output else 1):
            row: list[Optional[nn.Module]] = []
            for j in range(self.num_branches):
                if j > i:
                    row.append(nn.Sequential(
                        build_conv_layer(self.conv_cfg, c[j], c[i], kernel_size=1, stride=1,
                                         padding=0, bias=False),
                        build_norm_layer(self.norm_cfg, c[i])[1],
                        nn.Upsample(scale_factor=2**(j - i), mode='nearest')))
                elif j == i:
                    row.append(None)
                else:
                    # i - j stride-2 convs; only the last one changes the width (and has no ReLU)
                    steps = [_conv_norm(self.conv_cfg, self.norm_cfg, c[j],
                                        c[i] if k == i - j - 1 else c[j], 3, 2,
                                        relu=k != i - j - 1)
                             for k in range(i - j)]
                    row.append(nn.Sequential(*steps))
            fuse_layers.append(nn.ModuleList(row))
        return nn.ModuleList(fuse_layers)

    def forward(self, x: list) -> list:
        if self.num_branches == 1:
            return [self.branches[0](x[0])]
        x = [branch(xi) for branch, xi in zip(self.branches, x)]
        out = []
        for i, row in enumerate(self.fuse_layers):
            y = x[i]
            for j in range(self.num_branches):
                if j != i:
                    y = y + row[j](x[j])
            out.append(self.relu(y))
        return out
