"""``AnchorFreeHead``: the conv towers and point priors shared by FCOS-style heads."""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from torch import Tensor

from ...registry import HEADS
from ..builder import build_loss
from ..layers import ConvModule
from ..task_modules import build_bbox_coder
from ..task_modules.prior_generators import MlvlPointGenerator
from .base_dense_head import BaseDenseHead


def _default_init_cfg(cls_name: str) -> dict:
    """Normal(std=0.01) for every Conv2d, and the focal-loss prior 0.01 on the classifier."""
    return dict(type='Normal', layer='Conv2d', std=0.01,
                override=dict(type='Normal', name=cls_name, std=0.01, bias_prob=0.01))


@HEADS.register_module()
class AnchorFreeHead(BaseDenseHead):
    """Anchor-free head (FCOS, Fovea, RepPoints, ...): one prior per feature cell.

    Sub-modules (checkpoint keys): ``cls_convs``/``reg_convs`` (``stacked_convs``
    ConvModules each), ``conv_cls`` and ``conv_reg`` (3x3 predictors).

    Args:
        num_classes (int): number of categories, background excluded (C).
        in_channels (int): channels of each input feature map.
        feat_channels (int): channels of the tower convs. Default 256.
        stacked_convs (int): convs in each tower. Default 4.
        strides (sequence[int]): downsampling of each level. Default (4, 8, 16, 32, 64).
        dcn_on_last_conv (bool): deformable conv as the last tower conv. Not
            available in detkit (raises ValueError when True).
        conv_bias (bool | str): bias of the tower convs; 'auto' = only without norm.
        loss_cls (dict): classification loss config.
        loss_bbox (dict): regression loss config.
        bbox_coder (dict): box coder config. Default DistancePointBBoxCoder.
        conv_cfg (dict, optional): conv layer config of the towers.
        norm_cfg (dict, optional): norm layer config of the towers.
        train_cfg (dict, optional): training config.
        test_cfg (dict, optional): testing config (nms_pre, score_thr, nms, max_per_img).
        init_cfg (dict | list[dict], optional): initialisation config.

    Outputs per level l: cls_score (B, C, H_l, W_l), bbox_pred (B, 4, H_l, W_l).
    """

    _version = 1

    def __init__(self, num_classes: int, in_channels: int, feat_channels: int = 256,
                 stacked_convs: int = 4, strides: Sequence = (4, 8, 16, 32, 64),
                 dcn_on_last_conv: bool = False, conv_bias: Union[bool, str] = 'auto',
                 loss_cls: dict = dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,  # noqa: B006
                                       loss_weight=1.0),
                 loss_bbox: dict = dict(type='IoULoss', loss_weight=1.0),  # noqa: B006
                 bbox_coder: dict = dict(type='DistancePointBBoxCoder'),  # noqa: B006
                 conv_cfg: Optional[dict] = None, norm_cfg: Optional[dict] = None,
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None,
                 init_cfg: Union[dict, list, None] = _default_init_cfg('conv_cls')):  # noqa: B008
        super().__init__(init_cfg)
        if dcn_on_last_conv:
            raise ValueError(f'{type(self).__name__}: dcn_on_last_conv=True needs a deformable '
                             f'conv (DCNv2) in the towers, which detkit does not implement; '
                             f'use dcn_on_last_conv=False')
        if not (conv_bias == 'auto' or isinstance(conv_bias, bool)):
            raise ValueError(f"{type(self).__name__}: conv_bias must be 'auto' or a bool, "
                             f'but got {conv_bias!r}')
        self.num_classes = num_classes
        self.use_sigmoid_cls = loss_cls.get('use_sigmoid', False)
        self.cls_out_channels = num_classes if self.use_sigmoid_cls else num_classes + 1
        self.in_channels = in_channels
        self.feat_channels = feat_channels
        self.stacked_convs = stacked_convs
        self.strides = strides
        self.dcn_on_last_conv = dcn_on_last_conv
        self.conv_bias = conv_bias
        self.loss_cls = build_loss(loss_cls)
        self.loss_bbox = build_loss(loss_bbox)
        self.bbox_coder = build_bbox_coder(bbox_coder)
        self.prior_generator = MlvlPointGenerator(strides)
        # a point is "one anchor per cell": keeps the interface of AnchorHead
        self.num_base_priors = self.prior_generator.num_base_priors[0]
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.fp16_enabled = False
        self._init_layers()

    def _init_layers(self) -> None:
        self._init_cls_convs()
        self._init_reg_convs()
        self._init_predictor()

    def _tower(self) -> nn.ModuleList:
        return nn.ModuleList(
            ConvModule(self.in_channels if i == 0 else self.feat_channels, self.feat_channels, 3,
                       stride=1, padding=1, conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg,
                       bias=self.conv_bias)
            for i in range(self.stacked_convs))

    def _init_cls_convs(self) -> None:
        self.cls_convs = self._tower()

    def _init_reg_convs(self) -> None:
        self.reg_convs = self._tower()

    def _init_predictor(self) -> None:
        self.conv_cls = nn.Conv2d(self.feat_channels, self.cls_out_channels, 3, padding=1)
        self.conv_reg = nn.Conv2d(self.feat_channels, 4, 3, padding=1)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # checkpoints written before version 1 name the predictors after the method
        # (``fcos_cls``, ``fcos_reg``, ...): rename them to ``conv_cls``/``conv_reg``
        version = local_metadata.get('version', None)
        if version is None:
            children = dict(self.named_children())
            for key in [k for k in state_dict if k.startswith(prefix)]:
                parts = key[len(prefix):].split('.')
                if len(parts) != 2 or parts[0] in children:
                    continue
                for kind in ('cls', 'reg', 'centerness'):
                    if parts[0].endswith(kind) and f'conv_{kind}' in children:
                        state_dict[f'{prefix}conv_{kind}.{parts[1]}'] = state_dict.pop(key)
                        break
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def forward(self, feats: Sequence[Tensor]) -> tuple:
        """Per level (cls_score (B, C, H, W), bbox_pred (B, 4, H, W)) as two lists."""
        outs = [self.forward_single(x)[:2] for x in feats]
        return tuple(map(list, zip(*outs)))

    def forward_single(self, x: Tensor) -> tuple:
        """One level: (cls_score, bbox_pred, cls_feat, reg_feat); the tower features
        are returned for heads (FCOS) that add branches on them."""
        cls_feat = x
        for layer in self.cls_convs:
            cls_feat = layer(cls_feat)
        cls_score = self.conv_cls(cls_feat)
        reg_feat = x
        for layer in self.reg_convs:
            reg_feat = layer(reg_feat)
        bbox_pred = self.conv_reg(reg_feat)
        return cls_score, bbox_pred, cls_feat, reg_feat

    def aug_test(self, feats: Sequence[Sequence[Tensor]], img_metas: Sequence[Sequence[dict]],
                 rescale: bool = False) -> list:
        """Test-time augmentation (flip, scales): per image ``(det_bboxes (n, 5),
        det_labels (n,))`` merged over the augmentations, see ``aug_test_bboxes``."""
        return self.aug_test_bboxes(feats, img_metas, rescale=rescale)

    def get_points(self, featmap_sizes: Sequence, dtype: torch.dtype, device: torch.device,
                   flatten: bool = False) -> list:
        """Deprecated in MMDetection 2.x; the point priors of every level, (H_l * W_l, 2)."""
        return self.prior_generator.grid_priors(featmap_sizes, dtype=dtype, device=device)
