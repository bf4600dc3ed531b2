"""``YOLOV3Neck``: YOLOv3's top-down neck of DetectionBlocks."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from ...registry import NECKS
from ..layers.base_module import BaseModule
from ..layers.conv_module import ConvModule
from .detection_block import YOLO_ACT_CFG as _ACT
from .detection_block import YOLO_NORM_CFG as _NORM
from .detection_block import DetectionBlock


@NECKS.register_module()
class YOLOV3Neck(BaseModule):
    """YOLOv3 neck.

    Args:
        num_scales (int): number of levels.
        in_channels (list[int]): input channels from the coarsest level to the
            finest (e.g. [1024, 512, 256] for Darknet-53's C5, C4, C3).
        out_channels (list[int]): output channels, same order.
        conv_cfg, norm_cfg, act_cfg (dict): ConvModule configs.

    ``forward`` takes the backbone's tuple fine-to-coarse (C3, C4, C5) and returns
    the outputs coarse-to-fine: ``(B, out_channels[0], H5, W5), (B, out_channels[1],
    H4, W4), ...``. Sub-modules: ``detect1``, ``conv1``, ``detect2``, ``conv2``, ...
    """

    def __init__(self, num_scales: int, in_channels: list, out_channels: list,
                 conv_cfg: Optional[dict] = None, norm_cfg: dict = _NORM,
                 act_cfg: dict = _ACT, init_cfg=None):
        super().__init__(init_cfg)
        if not num_scales == len(in_channels) == len(out_channels):
            raise ValueError(f'YOLOV3Neck: num_scales ({num_scales}), in_channels '
                             f'{list(in_channels)} and out_channels {list(out_channels)} '
                             f'must have the same length')
        self.num_scales = num_scales
        self.in_channels = list(in_channels)
        self.out_channels = list(out_channels)
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.detect1 = DetectionBlock(in_channels[0], out_channels[0], **cfgs)
        for i in range(1, num_scales):
            in_c, out_c = in_channels[i], out_channels[i]
            self.add_module(f'conv{i}', ConvModule(out_channels[i - 1], out_c, 1, **cfgs))
            # the upsampled coarse features are concatenated with the finer input
            self.add_module(f'detect{i + 1}', DetectionBlock(in_c + out_c, out_c, **cfgs))

    def forward(self, feats: tuple) -> tuple:
        if not isinstance(feats, (tuple, list)) or len(feats) != self.num_scales:
            n = len(feats) if isinstance(feats, (tuple, list)) else type(feats).__name__
            raise ValueError(f'YOLOV3Neck was built for num_scales={self.num_scales} inputs '
                             f'(in_channels={self.in_channels}, coarse to fine), but got {n}')
        got = [int(f.shape[1]) for f in reversed(feats)]
        if got != self.in_channels:
            raise ValueError(f'YOLOV3Neck: in_channels={self.in_channels} (coarse to fine) but '
                             f'the inputs have channels {got} (coarse to fine)')
        out = self.detect1(feats[-1])
        outs = [out]
        for i, x in enumerate(reversed(feats[:-1])):
            tmp = F.interpolate(getattr(self, f'conv{i + 1}')(out), scale_factor=2)
            out = getattr(self, f'detect{i + 2}')(torch.cat((tmp, x), 1))
            outs.append(out)
        return tuple(outs)
