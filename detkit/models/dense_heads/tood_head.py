"""``TOODHead``: task-aligned head with task decomposition and alignment (TOOD)."""
from __future__ import annotations

from typing import Any, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ...registry import HEADS
from ...structures import distance2bbox
from ..builder import build_loss
from ..layers import ConvModule, Scale, bias_init_with_prob, normal_init
from ..task_modules import build_assigner
from ..task_modules.prior_generators import anchor_inside_flags, images_to_levels
from .atss_head import ATSSHead, atss_get_targets
from .dense_utils import filter_scores_and_topk, multi_apply, unmap
from .fcos_head import _reduce_mean


def sigmoid_geometric_mean(x: Tensor, y: Tensor) -> Tensor:
    """sqrt(sigmoid(x) * sigmoid(y)), computed in log space so it and its gradient
    0.5 * z * (1 - sigmoid(x)) stay finite where the product underflows."""
    return torch.exp(0.5 * (F.logsigmoid(x) + F.logsigmoid(y)))


class TaskDecomposition(nn.Module):
    """Task-specific features from the concatenated tower features, by layer attention.

    A squeeze of the tower features weighs each of the ``stacked_convs`` tower
    outputs; the weights scale the 1x1 ``reduction_conv`` kernel per image.
    Keys: ``layer_attention.{0,2}``, ``reduction_conv.conv`` (+ its norm).

    Args:
        feat_channels (int): channels F of one tower conv.
        stacked_convs (int): number S of tower convs.
        la_down_rate (int): channel reduction of the attention branch.
        conv_cfg, norm_cfg (dict, optional): of ``reduction_conv``.

    Shapes: feat (B, S * F, H, W), avg_feat (B, S * F, 1, 1) -> (B, F, H, W).
    """

    def __init__(self, feat_channels: int, stacked_convs: int, la_down_rate: int = 8,
                 conv_cfg: Optional[dict] = None, norm_cfg: Optional[dict] = None):
        super().__init__()
        self.feat_channels = feat_channels
        self.stacked_convs = stacked_convs
        self.in_channels = feat_channels * stacked_convs
        self.norm_cfg = norm_cfg
        self.layer_attention = nn.Sequential(
            nn.Conv2d(self.in_channels, self.in_channels // la_down_rate, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(self.in_channels // la_down_rate, stacked_convs, 1, padding=0),
            nn.Sigmoid())
        self.reduction_conv = ConvModule(self.in_channels, feat_channels, 1, stride=1, padding=0,
                                         conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                                         bias=norm_cfg is None)

    def init_weights(self) -> None:
        for m in self.layer_attention.modules():
            if isinstance(m, nn.Conv2d):
                normal_init(m, std=0.001)
        normal_init(self.reduction_conv.conv, std=0.01)

    def forward(self, feat: Tensor, avg_feat: Optional[Tensor] = None) -> Tensor:
        b, _, h, w = feat.shape
        if avg_feat is None:
            avg_feat = F.adaptive_avg_pool2d(feat, (1, 1))
        weight = self.layer_attention(avg_feat)  # (B, S, 1, 1)
        # fold the attention into the 1x1 kernel: cheaper than weighting the features
        conv_weight = (weight.reshape(b, 1, self.stacked_convs, 1)
                       * self.reduction_conv.conv.weight.reshape(
                           1, self.feat_channels, self.stacked_convs, self.feat_channels))
        conv_weight = conv_weight.reshape(b, self.feat_channels, self.in_channels)
        feat = torch.bmm(conv_weight, feat.reshape(b, self.in_channels, h * w))
        feat = feat.reshape(b, self.feat_channels, h, w)
        if self.reduction_conv.conv.bias is not None:
            feat = feat + self.reduction_conv.conv.bias.reshape(1, -1, 1, 1)
        if self.norm_cfg is not None:
            feat = self.reduction_conv.norm(feat)
        return self.reduction_conv.activate(feat)


def deform_sampling(feat: Tensor, offset: Tensor) -> Tensor:
    """Bilinearly sample each channel c of ``feat`` (B, C, H, W) at its own shifted grid
    (i + dy_c, j + dx_c), zero outside the map; ``offset`` (B, 2C, H, W) holds
    (dy_c, dx_c) pairs. Equals a 1x1 deformable conv with C groups and unit weights."""
    b, c, h, w = feat.shape
    # a one-pixel zero border keeps the normalised grid defined for 1-pixel-wide maps
    padded = F.pad(feat, (1, 1, 1, 1)).reshape(b * c, 1, h + 2, w + 2)
    dy, dx = offset.reshape(b, c, 2, h, w).unbind(2)
    ys = torch.arange(h, device=feat.device, dtype=feat.dtype).reshape(1, 1, h, 1) + 1 + dy
    xs = torch.arange(w, device=feat.device, dtype=feat.dtype).reshape(1, 1, 1, w) + 1 + dx
    grid = torch.stack([2 * xs / (w + 1) - 1, 2 * ys / (h + 1) - 1], -1)
    out = F.grid_sample(padded, grid.reshape(b * c, h, w, 2), mode='bilinear',
                        padding_mode='zeros', align_corners=True)
    return out.reshape(b, c, h, w)


@HEADS.register_module()
class TOODHead(ATSSHead):
    """Head of `TOOD <https://arxiv.org/abs/2108.07755>`_.

    Sub-modules (checkpoint keys): ``inter_convs``, ``cls_decomp``, ``reg_decomp``,
    ``tood_cls``, ``tood_reg``, ``cls_prob_module``, ``reg_offset_module``, ``scales``.

    Training assigns with ``train_cfg.initial_assigner`` (ATSS) and
    ``initial_loss_cls`` for the first ``train_cfg.initial_epoch`` epochs, then
    with the TaskAlignedAssigner and ``loss_cls`` (QFL on normalised alignment
    metrics). ``epoch`` is set by the runner through ``TOOD.set_epoch``.

    Args:
        num_classes (int): C. in_channels (int): input channels.
        num_dcn (int): deformable tower convs; detkit has none (must be 0).
        anchor_type (str): 'anchor_free' (distances from anchor centres) or
            'anchor_based' (deltas from anchors).
        initial_loss_cls (dict): classification loss of the first epochs.
        **kwargs: see :class:`ATSSHead` (stacked_convs, anchor_generator, ...).

    Outputs per level l: cls_score (B, C, H_l, W_l) *probabilities*, bbox_pred
    (B, 4, H_l, W_l) boxes (x1, y1, x2, y2) in units of the level's stride.
    """

    def __init__(self, num_classes: int, in_channels: int, num_dcn: int = 0,
                 anchor_type: str = 'anchor_free',
                 initial_loss_cls: dict = dict(type='FocalLoss', use_sigmoid=True, activated=True,  # noqa: B006
                                               gamma=2.0, alpha=0.25, loss_weight=1.0),
                 **kwargs):
        if anchor_type not in ('anchor_free', 'anchor_based'):
            raise ValueError(f"TOODHead: anchor_type must be 'anchor_free' or 'anchor_based', "
                             f'but got {anchor_type!r}')
        if num_dcn:
            raise ValueError(f'TOODHead: num_dcn={num_dcn} needs deformable tower convs '
                             f'(DCNv2), which detkit does not implement; use num_dcn=0')
        self.num_dcn = num_dcn
        self.anchor_type = anchor_type
        self.epoch = 0  # set by TOOD.set_epoch (SetEpochInfoHook)
        super().__init__(num_classes, in_channels, **kwargs)
        if self.train_cfg:
            for key in ('initial_epoch', 'initial_assigner', 'assigner', 'alpha', 'beta'):
                if key not in self.train_cfg:
                    raise KeyError(f"TOODHead: train_cfg has no '{key}' "
                                   f'(keys present: {sorted(self.train_cfg)})')
            self.initial_epoch = self.train_cfg['initial_epoch']
            self.initial_assigner = build_assigner(self.train_cfg['initial_assigner'])
            self.initial_loss_cls = build_loss(initial_loss_cls)
            self.assigner = self.initial_assigner
            self.alignment_assigner = build_assigner(self.train_cfg['assigner'])
            self.alpha = self.train_cfg['alpha']
            self.beta = self.train_cfg['beta']

    def _init_layers(self) -> None:
        self.relu = nn.ReLU(inplace=True)
        self.inter_convs = nn.ModuleList(
            ConvModule(self.in_channels if i == 0 else self.feat_channels, self.feat_channels, 3,
                       stride=1, padding=1, conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg)
            for i in range(self.stacked_convs))
        self.cls_decomp = TaskDecomposition(self.feat_channels, self.stacked_convs,
                                            self.stacked_convs * 8, self.conv_cfg, self.norm_cfg)
        self.reg_decomp = TaskDecomposition(self.feat_channels, self.stacked_convs,
                                            self.stacked_convs * 8, self.conv_cfg, self.norm_cfg)
        a = self.num_base_priors
        self.tood_cls = nn.Conv2d(self.feat_channels, a * self.cls_out_channels, 3, padding=1)
        self.tood_reg = nn.Conv2d(self.feat_channels, a * 4, 3, padding=1)
        all_channels = self.feat_channels * self.stacked_convs
        self.cls_prob_module = nn.Sequential(
            nn.Conv2d(all_channels, self.feat_channels // 4, 1), nn.ReLU(inplace=True),
            nn.Conv2d(self.feat_channels // 4, 1, 3, padding=1))
        self.reg_offset_module = nn.Sequential(
            nn.Conv2d(all_channels, self.feat_channels // 4, 1), nn.ReLU(inplace=True),
            nn.Conv2d(self.feat_channels // 4, 4 * 2, 3, padding=1))
        self.scales = nn.ModuleList([Scale(1.0) for _ in self.prior_generator.strides])

    def init_weights(self) -> None:
        """MMDetection's TOOD init (the head's own, not an ``init_cfg``)."""
        bias_cls = bias_init_with_prob(0.01)
        for m in self.inter_convs:
            normal_init(m.conv, std=0.01)
        for m in self.cls_prob_module:
            if isinstance(m, nn.Conv2d):
                normal_init(m, std=0.01)
        for m in self.reg_offset_module:
            if isinstance(m, nn.Conv2d):
                normal_init(m, std=0.001)
        normal_init(self.cls_prob_module[-1], std=0.01, bias=bias_cls)
        self.cls_decomp.init_weights()
        self.reg_decomp.init_weights()
        normal_init(self.tood_cls, std=0.01, bias=bias_cls)
        normal_init(self.tood_reg, std=0.01)
        self._is_init = True

    def forward(self, feats: list) -> tuple:
        """Per-level lists (cls_scores, bbox_preds); see the class docstring."""
        cls_scores, bbox_preds = [], []
        for idx, (x, scale, stride) in enumerate(zip(feats, self.scales,
                                                     self.prior_generator.strides)):
            b, _, h, w = x.shape
            anchor = self.prior_generator.single_level_grid_priors((h, w), idx, device=x.device)
            anchor = anchor.repeat(b, 1)
            inter_feats = []
            for conv in self.inter_convs:
                x = conv(x)
                inter_feats.append(x)
            feat = torch.cat(inter_feats, 1)
            avg_feat = F.adaptive_avg_pool2d(feat, (1, 1))
            cls_feat = self.cls_decomp(feat, avg_feat)
            reg_feat = self.reg_decomp(feat, avg_feat)
            # classification aligned with a class-agnostic localisation probability
            cls_score = sigmoid_geometric_mean(self.tood_cls(cls_feat), self.cls_prob_module(feat))
            if self.anchor_type == 'anchor_free':
                reg_dist = scale(self.tood_reg(reg_feat).exp()).float()
                reg_dist = reg_dist.permute(0, 2, 3, 1).reshape(-1, 4)
                reg_bbox = distance2bbox(self.anchor_center(anchor) / stride[0], reg_dist)
            else:
                reg_dist = scale(self.tood_reg(reg_feat)).float()
                reg_dist = reg_dist.permute(0, 2, 3, 1).reshape(-1, 4)
                reg_bbox = self.bbox_coder.decode(anchor, reg_dist) / stride[0]
            reg_bbox = reg_bbox.reshape(b, h, w, 4).permute(0, 3, 1, 2).contiguous()
            # each box side is read at its own learned offset (alignment of localisation)
            bbox_pred = deform_sampling(reg_bbox, self.reg_offset_module(feat))
            # a sampled box may come out inverted (x1 > x2): keep the unsampled one there,
            # so that GIoU stays meaningful
            invalid = ((bbox_pred[:, [0]] > bbox_pred[:, [2]])
                       | (bbox_pred[:, [1]] > bbox_pred[:, [3]])).expand_as(bbox_pred)
            bbox_pred = torch.where(invalid, reg_bbox, bbox_pred)
            cls_scores.append(cls_score)
            bbox_preds.append(bbox_pred)
        return cls_scores, bbox_preds

    def anchor_center(self, anchors: Tensor) -> Tensor:
        """Centres (N, 2) of (N, 4) anchors."""
        return torch.stack([(anchors[:, 0] + anchors[:, 2]) / 2,
                            (anchors[:, 1] + anchors[:, 3]) / 2], dim=-1)

    def loss_single(self, anchors: Tensor, cls_score: Tensor, bbox_pred: Tensor,
                    labels: Tensor, label_weights: Tensor, bbox_targets: Tensor,
                    alignment_metrics: Tensor, stride: tuple) -> tuple:
        """One level: (loss_cls, loss_bbox) as sums, and their normalisers' parts."""
        if stride[0] != stride[1]:
            raise ValueError(f'TOODHead: square strides only, got {stride}')
        anchors = anchors.reshape(-1, 4)
        cls_score = cls_score.permute(0, 2, 3, 1).reshape(-1, self.cls_out_channels).contiguous()
        bbox_pred = bbox_pred.permute(0, 2, 3, 1).reshape(-1, 4)
        bbox_targets = bbox_targets.reshape(-1, 4)
        labels = labels.reshape(-1)
        alignment_metrics = alignment_metrics.reshape(-1)
        label_weights = label_weights.reshape(-1)
        initial = self.epoch < self.initial_epoch
        targets = labels if initial else (labels, alignment_metrics)
        cls_loss_func = self.initial_loss_cls if initial else self.loss_cls
        loss_cls = cls_loss_func(cls_score, targets, label_weights, avg_factor=1.0)

        pos_inds = ((labels >= 0) & (labels < self.num_classes)).nonzero().squeeze(1)
        if len(pos_inds) > 0:
            pos_targets = bbox_targets[pos_inds]
            pos_weight = (self.centerness_target(anchors[pos_inds], pos_targets) if initial
                          else alignment_metrics[pos_inds])
            loss_bbox = self.loss_bbox(bbox_pred[pos_inds], pos_targets / stride[0],
                                       weight=pos_weight, avg_factor=1.0)
        else:
            loss_bbox = bbox_pred.sum() * 0
            pos_weight = bbox_targets.new_tensor(0.)
        return loss_cls, loss_bbox, alignment_metrics.sum(), pos_weight.sum()

    def loss(self, cls_scores: list, bbox_preds: list, gt_bboxes: list, gt_labels: list,
             img_metas: list, gt_bboxes_ignore: Optional[list] = None) -> dict:
        """Per-level lists ``loss_cls`` and ``loss_bbox``.

        Args:
            cls_scores, bbox_preds (list[Tensor]): per level, from forward.
            gt_bboxes (list[Tensor]): per image (n_i, 4). gt_labels (list[Tensor]): (n_i,).
            img_metas (list[dict]): per image meta. gt_bboxes_ignore: per image (k_i, 4).
        """
        if self.train_cfg is None:
            raise ValueError('TOODHead.loss: the head was built without train_cfg')
        num_imgs = len(img_metas)
        featmap_sizes = [s.size()[-2:] for s in cls_scores]
        if len(featmap_sizes) != self.prior_generator.num_levels:
            raise ValueError(f'TOODHead.loss: got {len(featmap_sizes)} levels, but the anchor '
                             f'generator has {self.prior_generator.num_levels}')
        device = cls_scores[0].device
        anchor_list, valid_flag_list = self.get_anchors(featmap_sizes, img_metas, device=device)
        flat_cls = torch.cat([s.permute(0, 2, 3, 1).reshape(num_imgs, -1, self.cls_out_channels)
                              for s in cls_scores], 1)
        flat_bbox = torch.cat([b.permute(0, 2, 3, 1).reshape(num_imgs, -1, 4) * stride[0]
                               for b, stride in zip(bbox_preds, self.prior_generator.strides)], 1)
        anchors, labels, label_weights, bbox_targets, metrics = self.get_targets(
            flat_cls, flat_bbox, anchor_list, valid_flag_list, gt_bboxes, img_metas,
            gt_bboxes_ignore_list=gt_bboxes_ignore, gt_labels_list=gt_labels)
        losses_cls, losses_bbox, cls_avg, bbox_avg = multi_apply(
            self.loss_single, anchors, cls_scores, bbox_preds, labels, label_weights,
            bbox_targets, metrics, self.prior_generator.strides)
        cls_avg_factor = _reduce_mean(sum(cls_avg)).clamp_(min=1).item()
        bbox_avg_factor = _reduce_mean(sum(bbox_avg)).clamp_(min=1).item()
        return dict(loss_cls=[x / cls_avg_factor for x in losses_cls],
                    loss_bbox=[x / bbox_avg_factor for x in losses_bbox])

    def get_targets(self, cls_scores: Tensor, bbox_preds: Tensor, anchor_list: list,
                    valid_flag_list: list, gt_bboxes_list: list, img_metas: list,
                    gt_bboxes_ignore_list: Optional[list] = None,
                    gt_labels_list: Optional[list] = None, label_channels: int = 1,
                    unmap_outputs: bool = True) -> tuple:
        """Per level (B, N_l, ...): anchors, labels, label_weights, bbox_targets (gt
        boxes in pixels) and normalised alignment metrics (the positives' box-loss
        weights and QFL targets; 1 for ATSS positives in the initial epochs).

        Args:
            cls_scores (Tensor): (B, N, C) probabilities. bbox_preds (Tensor): (B, N, 4) pixels.
        """
        num_imgs = len(img_metas)
        if gt_bboxes_ignore_list is None:
            gt_bboxes_ignore_list = [None] * num_imgs
        if gt_labels_list is None:
            gt_labels_list = [None] * num_imgs
        if self.epoch < self.initial_epoch:
            (anchors, labels, label_weights, bbox_targets, bbox_weights, _,
             _) = atss_get_targets(self, anchor_list, valid_flag_list, gt_bboxes_list, img_metas,
                                   gt_bboxes_ignore_list, gt_labels_list, unmap_outputs)
            return anchors, labels, label_weights, bbox_targets, [w[..., 0] for w in bbox_weights]
        num_level_anchors = [a.size(0) for a in anchor_list[0]]
        outs = multi_apply(self._get_target_single, list(cls_scores), list(bbox_preds),
                           [torch.cat(a) for a in anchor_list],
                           [torch.cat(f) for f in valid_flag_list], gt_bboxes_list,
                           gt_bboxes_ignore_list, gt_labels_list, img_metas,
                           unmap_outputs=unmap_outputs)
        return tuple(images_to_levels(o, num_level_anchors) for o in outs)

    def _get_target_single(self, cls_scores: Tensor, bbox_preds: Tensor, flat_anchors: Tensor,
                           valid_flags: Tensor, gt_bboxes: Tensor,
                           gt_bboxes_ignore: Optional[Tensor], gt_labels: Optional[Tensor],
                           img_meta: dict, unmap_outputs: bool = True) -> tuple:
        """Task-aligned targets of one image over its N anchors."""
        inside_flags = anchor_inside_flags(flat_anchors, valid_flags, img_meta['img_shape'][:2],
                                           self.train_cfg['allowed_border'])
        anchors = flat_anchors[inside_flags]
        assign_result = self.alignment_assigner.assign(
            cls_scores[inside_flags], bbox_preds[inside_flags], anchors, gt_bboxes,
            gt_bboxes_ignore, gt_labels, self.alpha, self.beta)
        sampling_result = self.sampler.sample(assign_result, anchors, gt_bboxes)

        n = anchors.size(0)
        bbox_targets = torch.zeros_like(anchors)
        labels = anchors.new_full((n,), self.num_classes, dtype=torch.long)
        label_weights = anchors.new_zeros(n, dtype=torch.float)
        norm_metrics = anchors.new_zeros(n, dtype=torch.float)
        pos_inds, neg_inds = sampling_result.pos_inds, sampling_result.neg_inds
        if len(pos_inds) > 0:
            bbox_targets[pos_inds] = sampling_result.pos_gt_bboxes.to(bbox_targets.dtype)
            labels[pos_inds] = (0 if gt_labels is None
                                else gt_labels[sampling_result.pos_assigned_gt_inds])
            pos_weight = self.train_cfg['pos_weight']
            label_weights[pos_inds] = 1.0 if pos_weight <= 0 else pos_weight
            # per gt: metrics / their max * the best IoU among its positives
            gt_inds = sampling_result.pos_assigned_gt_inds
            metrics = assign_result.assign_metrics[pos_inds]
            ious = assign_result.max_overlaps[pos_inds]
            num_gts = gt_bboxes.size(0)
            max_metric = metrics.new_zeros(num_gts).scatter_reduce(0, gt_inds, metrics, 'amax',
                                                                   include_self=False)
            max_iou = ious.new_zeros(num_gts).scatter_reduce(0, gt_inds, ious, 'amax',
                                                             include_self=False)
            norm_metrics[pos_inds] = metrics / (max_metric[gt_inds] + 10e-8) * max_iou[gt_inds]
        if len(neg_inds) > 0:
            label_weights[neg_inds] = 1.0
        if unmap_outputs:
            total = flat_anchors.size(0)
            anchors = unmap(anchors, total, inside_flags)
            labels = unmap(labels, total, inside_flags, fill=self.num_classes)
            label_weights = unmap(label_weights, total, inside_flags)
            bbox_targets = unmap(bbox_targets, total, inside_flags)
            norm_metrics = unmap(norm_metrics, total, inside_flags)
        return anchors, labels, label_weights, bbox_targets, norm_metrics

    def _get_bboxes_single(self, cls_score_list: list, bbox_pred_list: list,
                           score_factor_list: list, mlvl_priors: list, img_meta: dict,
                           cfg: Optional[dict], rescale: bool = False, with_nms: bool = True,
                           **kwargs: Any) -> tuple:
        """Decode one image: the head already gives probabilities and boxes (in strides)."""
        cfg = self.test_cfg if cfg is None else cfg
        nms_pre = cfg.get('nms_pre', -1)
        mlvl_bboxes, mlvl_scores, mlvl_labels = [], [], []
        # the boxes are already decoded: the priors are not needed
        for cls_score, bbox_pred, stride in zip(cls_score_list, bbox_pred_list,
                                                self.prior_generator.strides):
            bbox_pred = bbox_pred.permute(1, 2, 0).reshape(-1, 4) * stride[0]
            scores = cls_score.permute(1, 2, 0).reshape(-1, self.cls_out_channels)
            scores, labels, _, filtered = filter_scores_and_topk(
                scores, cfg.get('score_thr', 0), nms_pre, dict(bbox_pred=bbox_pred))
            mlvl_bboxes.append(filtered['bbox_pred'])
            mlvl_scores.append(scores)
            mlvl_labels.append(labels)
        return self._bbox_post_process(mlvl_scores, mlvl_labels, mlvl_bboxes,
                                       img_meta['scale_factor'], cfg, rescale=rescale,
                                       with_nms=with_nms)
