"""``ConvFCBBoxHead`` (shared convs/fcs, then per-branch convs/fcs) and its two common
forms, ``Shared2FCBBoxHead`` (Faster R-CNN's "2fc" head) and ``Shared4Conv1FCBBoxHead``."""
from __future__ import annotations

from typing import Any, Optional, Union

import torch.nn as nn
from torch import Tensor

from ....registry import HEADS
from ...layers import ConvModule, build_linear_layer
from .bbox_head import BBoxHead


@HEADS.register_module()
class ConvFCBBoxHead(BBoxHead):
    r"""RoI box head with convs and fcs::

                                    /-> cls convs -> cls fcs -> fc_cls
        shared convs -> shared fcs
                                    \-> reg convs -> reg fcs -> fc_reg

    Args:
        num_shared_convs, num_shared_fcs, num_cls_convs, num_cls_fcs, num_reg_convs,
        num_reg_fcs (int): layer counts of each part (branch convs need no shared fcs).
        conv_out_channels (int): channels of every 3x3 conv.
        fc_out_channels (int): width of every fc.
        conv_cfg (dict, optional), norm_cfg (dict, optional): of the convs.
        init_cfg (dict | list[dict], optional): by default also Xavier-uniform fcs.
        **kwargs: the arguments of :class:`BBoxHead`.
    """

    def __init__(self, num_shared_convs: int = 0, num_shared_fcs: int = 0,
                 num_cls_convs: int = 0, num_cls_fcs: int = 0, num_reg_convs: int = 0,
                 num_reg_fcs: int = 0, conv_out_channels: int = 256,
                 fc_out_channels: int = 1024, conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None, init_cfg: Union[dict, list, None] = None,
                 *args: Any, **kwargs: Any):
        super().__init__(*args, init_cfg=init_cfg, **kwargs)
        name = type(self).__name__
        if num_shared_convs + num_shared_fcs + num_cls_convs + num_cls_fcs + \
                num_reg_convs + num_reg_fcs <= 0:
            raise ValueError(f'{name}: at least one conv or fc layer is needed')
        if (num_cls_convs > 0 or num_reg_convs > 0) and num_shared_fcs != 0:
            raise ValueError(f'{name}: branch convs (num_cls_convs={num_cls_convs}, '
                             f'num_reg_convs={num_reg_convs}) cannot follow shared fcs '
                             f'(num_shared_fcs={num_shared_fcs})')
        if not self.with_cls and (num_cls_convs or num_cls_fcs):
            raise ValueError(f'{name}: with_cls=False but the cls branch has layers')
        if not self.with_reg and (num_reg_convs or num_reg_fcs):
            raise ValueError(f'{name}: with_reg=False but the reg branch has layers')
        self.num_shared_convs = num_shared_convs
        self.num_shared_fcs = num_shared_fcs
        self.num_cls_convs = num_cls_convs
        self.num_cls_fcs = num_cls_fcs
        self.num_reg_convs = num_reg_convs
        self.num_reg_fcs = num_reg_fcs
        self.conv_out_channels = conv_out_channels
        self.fc_out_channels = fc_out_channels
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg

        self.shared_convs, self.shared_fcs, last_layer_dim = self._add_conv_fc_branch(
            num_shared_convs, num_shared_fcs, self.in_channels, True)
        self.shared_out_channels = last_layer_dim
        self.cls_convs, self.cls_fcs, self.cls_last_dim = self._add_conv_fc_branch(
            num_cls_convs, num_cls_fcs, self.shared_out_channels)
        self.reg_convs, self.reg_fcs, self.reg_last_dim = self._add_conv_fc_branch(
            num_reg_convs, num_reg_fcs, self.shared_out_channels)
        if self.num_shared_fcs == 0 and not self.with_avg_pool:
            # the branch's input is still a (C, h, w) map that the predictor flattens
            if self.num_cls_fcs == 0:
                self.cls_last_dim *= self.roi_feat_area
            if self.num_reg_fcs == 0:
                self.reg_last_dim *= self.roi_feat_area
        self.relu = nn.ReLU(inplace=True)
        # rebuilt for the new input widths; the attributes keep their place in the state dict
        if self.with_cls:
            self.fc_cls = build_linear_layer(self.cls_predictor_cfg,
                                             in_features=self.cls_last_dim,
                                             out_features=self.cls_channels)
        if self.with_reg:
            self.fc_reg = build_linear_layer(self.reg_predictor_cfg,
                                             in_features=self.reg_last_dim,
                                             out_features=self.reg_channels)
        if init_cfg is None:
            self.init_cfg += [dict(type='Xavier', distribution='uniform',
                                   override=[dict(name='shared_fcs'), dict(name='cls_fcs'),
                                             dict(name='reg_fcs')])]

    def _add_conv_fc_branch(self, num_branch_convs: int, num_branch_fcs: int, in_channels: int,
                            is_shared: bool = False) -> tuple[nn.ModuleList, nn.ModuleList, int]:
        """Convs and fcs of one branch and the width of its output."""
        last_layer_dim = in_channels
        branch_convs = nn.ModuleList()
        for i in range(num_branch_convs):
            conv_in_channels = last_layer_dim if i == 0 else self.conv_out_channels
            branch_convs.append(ConvModule(conv_in_channels, self.conv_out_channels, 3,
                                           padding=1, conv_cfg=self.conv_cfg,
                                           norm_cfg=self.norm_cfg))
        if num_branch_convs > 0:
            last_layer_dim = self.conv_out_channels
        branch_fcs = nn.ModuleList()
        if num_branch_fcs > 0:
            # the first fc of the shared part (or of a branch without shared fcs) flattens
            if (is_shared or self.num_shared_fcs == 0) and not self.with_avg_pool:
                last_layer_dim *= self.roi_feat_area
            for i in range(num_branch_fcs):
                fc_in_channels = last_layer_dim if i == 0 else self.fc_out_channels
                branch_fcs.append(nn.Linear(fc_in_channels, self.fc_out_channels))
            last_layer_dim = self.fc_out_channels
        return branch_convs, branch_fcs, last_layer_dim

    def _branch(self, x: Tensor, convs: nn.ModuleList, fcs: nn.ModuleList) -> Tensor:
        for conv in convs:
            x = conv(x)
        if x.dim() > 2:
            if self.with_avg_pool:
                x = self.avg_pool(x)
            x = x.flatten(1)
        for fc in fcs:
            x = self.relu(fc(x))
        return x

    def forward(self, x: Tensor) -> tuple[Optional[Tensor], Optional[Tensor]]:
        """(N, C_in, h, w) -> cls_score (N, C + 1), bbox_pred (N, 4 or 4 * C)."""
        for conv in self.shared_convs:
            x = conv(x)
        if self.num_shared_fcs > 0:
            if self.with_avg_pool:
                x = self.avg_pool(x)
            x = x.flatten(1)
            for fc in self.shared_fcs:
                x = self.relu(fc(x))
        cls_score = bbox_pred = None
        if self.with_cls:
            cls_score = self.fc_cls(self._branch(x, self.cls_convs, self.cls_fcs))
        if self.with_reg:
            bbox_pred = self.fc_reg(self._branch(x, self.reg_convs, self.reg_fcs))
        return cls_score, bbox_pred


@HEADS.register_module()
class Shared2FCBBoxHead(ConvFCBBoxHead):
    """Two shared fcs of width ``fc_out_channels`` (Faster R-CNN with FPN)."""

    def __init__(self, fc_out_channels: int = 1024, **kwargs: Any):
        super().__init__(num_shared_convs=0, num_shared_fcs=2, num_cls_convs=0, num_cls_fcs=0,
                         num_reg_convs=0, num_reg_fcs=0, fc_out_channels=fc_out_channels,
                         **kwargs)


@HEADS.register_module()
class Shared4Conv1FCBBoxHead(ConvFCBBoxHead):
    """Four shared 3x3 convs then one shared fc (usually with GN)."""

    def __init__(self, fc_out_channels: int = 1024, **kwargs: Any):
        super().__init__(num_shared_convs=4, num_shared_fcs=1, num_cls_convs=0, num_cls_fcs=0,
                         num_reg_convs=0, num_reg_fcs=0, fc_out_channels=fc_out_channels,
                         **kwargs)
