"""``SSDHead``: SSD's per-level 3x3 predictors with hard negative mining."""
from __future__ import annotations

import warnings
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ...registry import HEADS
from ..layers import ConvModule, DepthwiseSeparableConvModule
from ..losses import smooth_l1_loss
from ..task_modules import build_assigner, build_bbox_coder, build_prior_generator, build_sampler
from .anchor_head import AnchorHead, _require
from .base_dense_head import BaseDenseHead
from .dense_utils import multi_apply
from .input_checks import check_gt_labels, check_img_metas


@HEADS.register_module()
class SSDHead(AnchorHead):
    """SSD head (https://arxiv.org/abs/1512.02325), MMDetection 2.x layout.

    Level l has its own ``cls_convs[l]`` and ``reg_convs[l]`` (``stacked_convs``
    optional ConvModules, then a 3x3 conv; SSDLite with ``use_depthwise``: a
    depthwise 3x3 ConvModule then a 1x1 conv) predicting ``cls_score``
    (B, A_l * (C + 1), H_l, W_l) softmax logits (background last) and
    ``bbox_pred`` (B, A_l * 4, H_l, W_l) deltas; A_l differs per level.

    Training: MaxIoU targets over the anchors of all levels (AnchorHead), then
    per image the cross-entropy of all positives plus that of the
    ``neg_pos_ratio * num_pos`` hardest negatives, and a smooth L1 on the
    positives (``smoothl1_beta``), both divided by the positives of the batch.

    Args:
        num_classes (int): C, categories without background.
        in_channels (Sequence[int]): channels of each input level.
        stacked_convs (int): convs before each predictor. Default 0.
        feat_channels (int): channels of the stacked convs. Default 256.
        use_depthwise (bool): SSDLite predictors. Default False.
        conv_cfg, norm_cfg, act_cfg (dict, optional): of the stacked convs.
        anchor_generator (dict): an ``SSDAnchorGenerator`` config.
        bbox_coder (dict): box coder config.
        reg_decoded_bbox (bool): regress decoded boxes. Default False.
        train_cfg (dict, optional): ``assigner``, ``sampler`` (optional),
            ``allowed_border``, ``pos_weight``, ``neg_pos_ratio``, ``smoothl1_beta``.
        test_cfg (dict, optional): ``nms_pre``, ``score_thr``, ``nms``, ``max_per_img``.
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    def __init__(self, num_classes: int = 80,
                 in_channels: Sequence[int] = (512, 1024, 512, 256, 256, 256),
                 stacked_convs: int = 0, feat_channels: int = 256, use_depthwise: bool = False,
                 conv_cfg: Optional[dict] = None, norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None,
                 anchor_generator: dict = dict(  # noqa: B006 (mmdet default, never mutated)
                     type='SSDAnchorGenerator', scale_major=False, input_size=300,
                     strides=[8, 16, 32, 64, 100, 300],
                     ratios=([2], [2, 3], [2, 3], [2, 3], [2], [2]),
                     basesize_ratio_range=(0.1, 0.9)),
                 bbox_coder: dict = dict(  # noqa: B006
                     type='DeltaXYWHBBoxCoder', clip_border=True,
                     target_means=[.0, .0, .0, .0], target_stds=[1.0, 1.0, 1.0, 1.0]),
                 reg_decoded_bbox: bool = False, train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Union[dict, list, None] = dict(  # noqa: B006
                     type='Xavier', layer='Conv2d', distribution='uniform', bias=0)):
        # AnchorHead.__init__ would build a single conv_cls/conv_reg and loss modules;
        # SSD has per-level predictors and computes its losses functionally
        BaseDenseHead.__init__(self, init_cfg)
        name = type(self).__name__
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
            raise TypeError(f'{name}: num_classes must be a positive int, got {num_classes!r}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.stacked_convs = stacked_convs
        self.feat_channels = feat_channels
        self.use_depthwise = use_depthwise
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        self.cls_out_channels = num_classes + 1  # softmax with background last
        self.prior_generator = build_prior_generator(anchor_generator)
        # a list in SSD: levels differ in anchors per cell
        self.num_base_priors = self.prior_generator.num_base_priors
        if len(in_channels) != len(self.num_base_priors):
            raise ValueError(f'{name}: {len(in_channels)} in_channels for '
                             f'{len(self.num_base_priors)} anchor generator levels')
        self._init_layers()
        self.bbox_coder = build_bbox_coder(bbox_coder)
        self.reg_decoded_bbox = reg_decoded_bbox
        self.use_sigmoid_cls = False
        self.cls_focal_loss = False
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.sampling = False
        if self.train_cfg:
            self.assigner = build_assigner(_require(train_cfg, 'assigner', name))
            # SSD weighs negatives itself (hard negative mining): the sampler only
            # splits the assignment into positives and negatives
            self.sampler = build_sampler(train_cfg.get('sampler') or dict(type='PseudoSampler'),
                                         context=self)
        self.fp16_enabled = False

    @property
    def num_anchors(self) -> list[int]:
        """Deprecated alias of ``num_base_priors``: anchors per cell, per level."""
        warnings.warn('num_anchors is deprecated, use num_base_priors', DeprecationWarning,
                      stacklevel=2)
        return self.num_base_priors

    def _init_layers(self) -> None:
        self.cls_convs = nn.ModuleList()
        self.reg_convs = nn.ModuleList()
        conv = DepthwiseSeparableConvModule if self.use_depthwise else ConvModule
        for channel, num_base_priors in zip(self.in_channels, self.num_base_priors):
            towers = {}
            for branch, out_per_prior in (('cls', self.cls_out_channels), ('reg', 4)):
                layers: list[nn.Module] = []
                in_channel = channel
                for _ in range(self.stacked_convs):
                    layers.append(conv(in_channel, self.feat_channels, 3, padding=1,
                                       conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg,
                                       act_cfg=self.act_cfg))
                    in_channel = self.feat_channels
                if self.use_depthwise:
                    # SSDLite: a depthwise 3x3 then a pointwise predictor
                    layers.append(ConvModule(in_channel, in_channel, 3, padding=1,
                                             groups=in_channel, conv_cfg=self.conv_cfg,
                                             norm_cfg=self.norm_cfg, act_cfg=self.act_cfg))
                kernel = 1 if self.use_depthwise else 3
                layers.append(nn.Conv2d(in_channel, num_base_priors * out_per_prior,
                                        kernel_size=kernel, padding=kernel // 2))
                towers[branch] = nn.Sequential(*layers)
            self.cls_convs.append(towers['cls'])
            self.reg_convs.append(towers['reg'])

    def forward(self, feats: Sequence[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        """Per level (B, in_channels[l], H_l, W_l) -> ``cls_scores`` (B, A_l * (C + 1), H_l,
        W_l) and ``bbox_preds`` (B, A_l * 4, H_l, W_l)."""
        if len(feats) != len(self.cls_convs):
            raise ValueError(f'{type(self).__name__}: got {len(feats)} feature levels, '
                             f'expected {len(self.cls_convs)}')
        cls_scores = [cls_conv(feat) for feat, cls_conv in zip(feats, self.cls_convs)]
        bbox_preds = [reg_conv(feat) for feat, reg_conv in zip(feats, self.reg_convs)]
        return cls_scores, bbox_preds

    def loss_single(self, cls_score: Tensor, bbox_pred: Tensor, anchor: Tensor, labels: Tensor,
                    label_weights: Tensor, bbox_targets: Tensor, bbox_weights: Tensor,
                    num_total_samples: float) -> tuple[Tensor, Tensor]:
        """Losses of one image over its N anchors of all levels.

        Args:
            cls_score (Tensor): (N, C + 1) logits. bbox_pred (Tensor): (N, 4) deltas.
            anchor (Tensor): (N, 4). labels (Tensor): (N,) long, C = background.
            label_weights (Tensor): (N,). bbox_targets, bbox_weights (Tensor): (N, 4).
            num_total_samples (float): positives of the batch (the average factor).

        Returns:
            tuple: ``loss_cls`` (1,) and ``loss_bbox`` () of the image.
        """
        loss_cls_all = F.cross_entropy(cls_score, labels, reduction='none') * label_weights
        pos_mask = (labels >= 0) & (labels < self.num_classes)
        neg_mask = labels == self.num_classes
        num_pos = int(pos_mask.sum())
        num_neg = min(self.train_cfg['neg_pos_ratio'] * num_pos, int(neg_mask.sum()))
        # hard negative mining: the negatives with the largest loss, ratio:1 to positives
        topk_loss_cls_neg, _ = loss_cls_all[neg_mask].topk(num_neg)
        loss_cls = (loss_cls_all[pos_mask].sum() + topk_loss_cls_neg.sum()) / num_total_samples
        if self.reg_decoded_bbox:
            bbox_pred = self.bbox_coder.decode(anchor, bbox_pred)
        loss_bbox = smooth_l1_loss(bbox_pred, bbox_targets, bbox_weights,
                                   beta=self.train_cfg['smoothl1_beta'],
                                   avg_factor=num_total_samples)
        return loss_cls[None], loss_bbox

    def loss(self, cls_scores: list[Tensor], bbox_preds: list[Tensor], gt_bboxes: list[Tensor],
             gt_labels: list[Tensor], img_metas: list[dict],
             gt_bboxes_ignore: Optional[list[Tensor]] = None) -> dict:
        """Per-image losses ``loss_cls`` and ``loss_bbox`` (lists of B tensors).

        Args:
            cls_scores (list[Tensor]): per level (B, A_l * (C + 1), H_l, W_l).
            bbox_preds (list[Tensor]): per level (B, A_l * 4, H_l, W_l).
            gt_bboxes (list[Tensor]): per image (n_i, 4). gt_labels (list[Tensor]): (n_i,).
            img_metas (list[dict]): B meta dicts with ``img_shape`` and ``pad_shape``.
            gt_bboxes_ignore (list[Tensor], optional): per image (k_i, 4).
        """
        where = f'{type(self).__name__}.loss'
        if self.train_cfg is None:
            raise ValueError(f'{where}: the head was built without train_cfg, which training '
                             f'needs')
        for key in ('allowed_border', 'pos_weight', 'neg_pos_ratio', 'smoothl1_beta'):
            _require(self.train_cfg, key, where)
        featmap_sizes = [featmap.size()[-2:] for featmap in cls_scores]
        if len(featmap_sizes) != self.prior_generator.num_levels:
            raise ValueError(f'{where}: got {len(featmap_sizes)} feature levels, but the anchor '
                             f'generator has {self.prior_generator.num_levels}')
        num_images = len(img_metas)
        check_img_metas(img_metas, ('img_shape', 'pad_shape'), where,
                        num_imgs=cls_scores[0].size(0))
        check_gt_labels(gt_labels, gt_bboxes, self.num_classes, where)
        device = cls_scores[0].device
        anchor_list, valid_flag_list = self.get_anchors(featmap_sizes, img_metas, device=device)
        (labels_list, label_weights_list, bbox_targets_list, bbox_weights_list, num_total_pos,
         _) = self.get_targets(anchor_list, valid_flag_list, gt_bboxes, img_metas,
                               gt_bboxes_ignore_list=gt_bboxes_ignore, gt_labels_list=gt_labels,
                               label_channels=1, unmap_outputs=True)
        all_cls_scores = torch.cat([s.permute(0, 2, 3, 1).reshape(num_images, -1,
                                                                  self.cls_out_channels)
                                    for s in cls_scores], 1)
        all_bbox_preds = torch.cat([b.permute(0, 2, 3, 1).reshape(num_images, -1, 4)
                                    for b in bbox_preds], -2)
        if not (torch.isfinite(all_cls_scores).all() and torch.isfinite(all_bbox_preds).all()):
            raise FloatingPointError(f'{where}: the classification scores or box predictions '
                                     f'hold inf or NaN (training diverged; lower the lr)')
        all_labels = torch.cat(labels_list, -1).view(num_images, -1)
        all_label_weights = torch.cat(label_weights_list, -1).view(num_images, -1)
        all_bbox_targets = torch.cat(bbox_targets_list, -2).view(num_images, -1, 4)
        all_bbox_weights = torch.cat(bbox_weights_list, -2).view(num_images, -1, 4)
        all_anchors = [torch.cat(anchors) for anchors in anchor_list]
        losses_cls, losses_bbox = multi_apply(
            self.loss_single, all_cls_scores, all_bbox_preds, all_anchors, all_labels,
            all_label_weights, all_bbox_targets, all_bbox_weights,
            num_total_samples=num_total_pos)
        return dict(loss_cls=losses_cls, loss_bbox=losses_bbox)
