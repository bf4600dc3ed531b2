"""``RetinaHead``: the classification and box subnets of RetinaNet (Lin et al., 2017)."""
from __future__ import annotations

from typing import Any, Optional, Union

import torch.nn as nn
from torch import Tensor

from ...registry import HEADS
from ..layers import ConvModule
from .anchor_head import AnchorHead


@HEADS.register_module()
class RetinaHead(AnchorHead):
    """Two towers of ``stacked_convs`` 3x3 ConvModules (``cls_convs``, ``reg_convs``)
    followed by 3x3 predictors ``retina_cls`` (A * C channels) and ``retina_reg``
    (A * 4 channels), shared across levels.

    The default ``init_cfg`` sets ``retina_cls``'s bias to -log((1 - 0.01) / 0.01),
    so every anchor starts with foreground probability 0.01 (the focal-loss prior).

    Args:
        num_classes (int): C, categories without background.
        in_channels (int): channels of the input features.
        stacked_convs (int): convs per tower.
        conv_cfg (dict, optional): conv layer config of the towers.
        norm_cfg (dict, optional): norm layer config of the towers.
        anchor_generator (dict): 9 anchors per cell: octave scales 4 * 2^(i/3), 3 ratios.
        init_cfg (dict | list[dict], optional): initialisation config.
        **kwargs: the other arguments of :class:`AnchorHead`.

    Example:
        >>> import torch
        >>> head = RetinaHead(11, 7)
        >>> cls_score, bbox_pred = head.forward_single(torch.rand(1, 7, 32, 32))
        >>> cls_score.shape, bbox_pred.shape
        (torch.Size([1, 99, 32, 32]), torch.Size([1, 36, 32, 32]))
    """

    def __init__(self, num_classes: int, in_channels: int, stacked_convs: int = 4,
                 conv_cfg: Optional[dict] = None, norm_cfg: Optional[dict] = None,
                 anchor_generator: dict = dict(  # noqa: B006 (MMDetection's default, not mutated)
                     type='AnchorGenerator', octave_base_scale=4, scales_per_octave=3,
                     ratios=[0.5, 1.0, 2.0], strides=[8, 16, 32, 64, 128]),
                 init_cfg: Union[dict, list, None] = dict(  # noqa: B006
                     type='Normal', layer='Conv2d', std=0.01,
                     override=dict(type='Normal', name='retina_cls', std=0.01, bias_prob=0.01)),
                 **kwargs: Any):
        self.stacked_convs = stacked_convs
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        super().__init__(num_classes, in_channels, anchor_generator=anchor_generator,
                         init_cfg=init_cfg, **kwargs)

    def _init_layers(self) -> None:
        self.relu = nn.ReLU(inplace=True)
        self.cls_convs = nn.ModuleList()
        self.reg_convs = nn.ModuleList()
        for i in range(self.stacked_convs):
            chn = self.in_channels if i == 0 else self.feat_channels
            for tower in (self.cls_convs, self.reg_convs):
                tower.append(ConvModule(chn, self.feat_channels, 3, stride=1, padding=1,
                                        conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg))
        self.retina_cls = nn.Conv2d(self.feat_channels,
                                    self.num_base_priors * self.cls_out_channels, 3, padding=1)
        self.retina_reg = nn.Conv2d(self.feat_channels, self.num_base_priors * 4, 3, padding=1)

    def forward_single(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(B, in_channels, H, W) -> cls_score (B, A * C, H, W), bbox_pred (B, A * 4, H, W)."""
        cls_feat = x
        reg_feat = x
        for cls_conv in self.cls_convs:
            cls_feat = cls_conv(cls_feat)
        for reg_conv in self.reg_convs:
            reg_feat = reg_conv(reg_feat)
        return self.retina_cls(cls_feat), self.retina_reg(reg_feat)
