"""``ATSSHead``: RetinaNet-style towers with a centerness branch, trained with ATSS."""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import torch
import torch.nn as nn
from torch import Tensor

from ...registry import HEADS
from ..builder import build_loss
from ..layers import ConvModule, Scale
from ..task_modules import build_sampler
from ..task_modules.prior_generators import anchor_inside_flags, images_to_levels
from .anchor_head import AnchorHead
from .dense_utils import multi_apply, unmap
from .fcos_head import _reduce_mean


def atss_get_targets(head: Any, anchor_list: list, valid_flag_list: list, gt_bboxes_list: list,
                     img_metas: list, gt_bboxes_ignore_list: Optional[list] = None,
                     gt_labels_list: Optional[list] = None, unmap_outputs: bool = True,
                     decoded_targets: Optional[bool] = None) -> tuple:
    """Targets of heads whose assigner needs the per-level prior counts (ATSS, GFL, VFNet).

    ``head`` provides ``assigner`` (assign(priors, num_level_priors, gt_bboxes,
    gt_bboxes_ignore, gt_labels)), ``sampler``, ``num_classes``, ``reg_decoded_bbox``,
    ``bbox_coder`` and ``train_cfg`` (``allowed_border``, ``pos_weight``).

    Args:
        anchor_list, valid_flag_list (list[list[Tensor]]): per image, per level
            (N_l, 4) anchors and (N_l,) flags.
        gt_bboxes_list (list[Tensor]): per image (n_i, 4).
        img_metas (list[dict]): per image meta with ``img_shape``.
        decoded_targets (bool, optional): box targets are the gt boxes themselves
            (not encoded deltas); default ``head.reg_decoded_bbox``.

    Returns:
        tuple: per level (B, N_l, ...) ``anchors``, ``labels`` (C = background),
        ``label_weights``, ``bbox_targets`` (absolute gt boxes when
        ``decoded_targets`` else encoded deltas), ``bbox_weights``; then
        ``num_total_pos`` and ``num_total_neg`` (each image counts at least 1).
    """
    num_imgs = len(img_metas)
    num_level_anchors = [a.size(0) for a in anchor_list[0]]
    flat_anchors = [torch.cat(a) for a in anchor_list]
    flat_flags = [torch.cat(f) for f in valid_flag_list]
    if gt_bboxes_ignore_list is None:
        gt_bboxes_ignore_list = [None] * num_imgs
    if gt_labels_list is None:
        gt_labels_list = [None] * num_imgs
    (all_anchors, all_labels, all_label_weights, all_bbox_targets, all_bbox_weights,
     pos_inds_list, neg_inds_list) = multi_apply(
        _atss_target_single, flat_anchors, flat_flags, gt_bboxes_list, gt_bboxes_ignore_list,
        gt_labels_list, img_metas, head=head, num_level_anchors=num_level_anchors,
        unmap_outputs=unmap_outputs,
        decoded_targets=head.reg_decoded_bbox if decoded_targets is None else decoded_targets)
    num_total_pos = sum(max(inds.numel(), 1) for inds in pos_inds_list)
    num_total_neg = sum(max(inds.numel(), 1) for inds in neg_inds_list)
    return (images_to_levels(all_anchors, num_level_anchors),
            images_to_levels(all_labels, num_level_anchors),
            images_to_levels(all_label_weights, num_level_anchors),
            images_to_levels(all_bbox_targets, num_level_anchors),
            images_to_levels(all_bbox_weights, num_level_anchors),
            num_total_pos, num_total_neg)


def _atss_target_single(flat_anchors: Tensor, valid_flags: Tensor, gt_bboxes: Tensor,
                        gt_bboxes_ignore: Optional[Tensor], gt_labels: Optional[Tensor],
                        img_meta: dict, head: Any, num_level_anchors: Sequence[int],
                        unmap_outputs: bool = True, decoded_targets: bool = True) -> tuple:
    """One image: anchors (N, 4), labels (N,), label_weights (N,), bbox_targets (N, 4),
    bbox_weights (N, 4), pos_inds, neg_inds (among the anchors inside the image)."""
    inside_flags = anchor_inside_flags(flat_anchors, valid_flags, img_meta['img_shape'][:2],
                                       head.train_cfg['allowed_border'])
    anchors = flat_anchors[inside_flags]
    # the assigner picks its candidates level by level: count the inside anchors per level
    num_level_inside = [int(f.sum()) for f in torch.split(inside_flags, num_level_anchors)]
    assign_result = head.assigner.assign(anchors, num_level_inside, gt_bboxes,
                                         gt_bboxes_ignore, gt_labels)
    sampling_result = head.sampler.sample(assign_result, anchors, gt_bboxes)

    num_valid = anchors.size(0)
    bbox_targets = torch.zeros_like(anchors)
    bbox_weights = torch.zeros_like(anchors)
    labels = anchors.new_full((num_valid,), head.num_classes, dtype=torch.long)
    label_weights = anchors.new_zeros(num_valid, dtype=torch.float)
    pos_inds, neg_inds = sampling_result.pos_inds, sampling_result.neg_inds
    if len(pos_inds) > 0:
        if decoded_targets:
            pos_bbox_targets = sampling_result.pos_gt_bboxes
        else:
            pos_bbox_targets = head.bbox_coder.encode(sampling_result.pos_bboxes,
                                                      sampling_result.pos_gt_bboxes)
        bbox_targets[pos_inds] = pos_bbox_targets.to(bbox_targets.dtype)
        bbox_weights[pos_inds] = 1.0
        if gt_labels is None:
            labels[pos_inds] = 0
        else:
            labels[pos_inds] = gt_labels[sampling_result.pos_assigned_gt_inds]
        pos_weight = head.train_cfg['pos_weight']
        label_weights[pos_inds] = 1.0 if pos_weight <= 0 else pos_weight
    if len(neg_inds) > 0:
        label_weights[neg_inds] = 1.0

    if unmap_outputs:
        n = flat_anchors.size(0)
        anchors = unmap(anchors, n, inside_flags)
        labels = unmap(labels, n, inside_flags, fill=head.num_classes)
        label_weights = unmap(label_weights, n, inside_flags)
        bbox_targets = unmap(bbox_targets, n, inside_flags)
        bbox_weights = unmap(bbox_weights, n, inside_flags)
    return anchors, labels, label_weights, bbox_targets, bbox_weights, pos_inds, neg_inds


def _tower(in_channels: int, feat_channels: int, num_convs: int, conv_cfg: Optional[dict],
           norm_cfg: Optional[dict]) -> nn.ModuleList:
    return nn.ModuleList(
        ConvModule(in_channels if i == 0 else feat_channels, feat_channels, 3, stride=1,
                   padding=1, conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        for i in range(num_convs))


@HEADS.register_module()
class ATSSHead(AnchorHead):
    """Head of `ATSS <https://arxiv.org/abs/1912.02424>`_: FCOS-like towers on anchors.

    Sub-modules (checkpoint keys): ``cls_convs``, ``reg_convs``, ``atss_cls``,
    ``atss_reg``, ``atss_centerness``, ``scales``.

    Args:
        num_classes (int): C. in_channels (int): input channels.
        pred_kernel_size (int): kernel of the three predictors. Default 3.
        stacked_convs (int): convs per tower. Default 4.
        conv_cfg, norm_cfg (dict, optional): tower layer configs (GN(32) by default).
        reg_decoded_bbox (bool): the box loss compares decoded boxes. Default True.
        loss_centerness (dict): centerness loss config.
        init_cfg (dict | list[dict], optional); **kwargs: see :class:`AnchorHead`.

    Outputs per level l (A anchors per cell): cls_score (B, A * C, H_l, W_l),
    bbox_pred (B, A * 4, H_l, W_l) deltas, centerness (B, A, H_l, W_l) logits.
    """

    def __init__(self, num_classes: int, in_channels: int, pred_kernel_size: int = 3,
                 stacked_convs: int = 4, conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = dict(type='GN', num_groups=32, requires_grad=True),  # noqa: B006
                 reg_decoded_bbox: bool = True,
                 loss_centerness: dict = dict(type='CrossEntropyLoss', use_sigmoid=True,  # noqa: B006
                                              loss_weight=1.0),
                 init_cfg: Union[dict, list, None] = dict(  # noqa: B006
                     type='Normal', layer='Conv2d', std=0.01,
                     override=dict(type='Normal', name='atss_cls', std=0.01, bias_prob=0.01)),
                 **kwargs):
        self.pred_kernel_size = pred_kernel_size
        self.stacked_convs = stacked_convs
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        super().__init__(num_classes, in_channels, reg_decoded_bbox=reg_decoded_bbox,
                         init_cfg=init_cfg, **kwargs)
        self.sampling = False
        if self.train_cfg:
            # ATSS weighs every anchor (focal loss): a pseudo sampler keeps them all
            self.sampler = build_sampler(dict(type='PseudoSampler'), context=self)
        self.loss_centerness = build_loss(loss_centerness)

    def _init_layers(self) -> None:
        self.relu = nn.ReLU(inplace=True)
        self.cls_convs = _tower(self.in_channels, self.feat_channels, self.stacked_convs,
                                self.conv_cfg, self.norm_cfg)
        self.reg_convs = _tower(self.in_channels, self.feat_channels, self.stacked_convs,
                                self.conv_cfg, self.norm_cfg)
        pad = self.pred_kernel_size // 2
        a = self.num_base_priors
        self.atss_cls = nn.Conv2d(self.feat_channels, a * self.cls_out_channels,
                                  self.pred_kernel_size, padding=pad)
        self.atss_reg = nn.Conv2d(self.feat_channels, a * 4, self.pred_kernel_size, padding=pad)
        self.atss_centerness = nn.Conv2d(self.feat_channels, a * 1, self.pred_kernel_size,
                                         padding=pad)
        self.scales = nn.ModuleList([Scale(1.0) for _ in self.prior_generator.strides])

    def forward(self, feats: Sequence[Tensor]) -> tuple:
        """Per-level lists (cls_scores, bbox_preds, centernesses)."""
        return multi_apply(self.forward_single, feats, self.scales)

    def forward_single(self, x: Tensor, scale: nn.Module) -> tuple:
        """One level: cls_score (B, A*C, H, W), bbox_pred (B, A*4, H, W) deltas,
        centerness (B, A, H, W) logits."""
        cls_feat = x
        for conv in self.cls_convs:
            cls_feat = conv(cls_feat)
        reg_feat = x
        for conv in self.reg_convs:
            reg_feat = conv(reg_feat)
        cls_score = self.atss_cls(cls_feat)
        # float() keeps the deltas from overflowing under fp16
        bbox_pred = scale(self.atss_reg(reg_feat)).float()
        centerness = self.atss_centerness(reg_feat)
        return cls_score, bbox_pred, centerness

    def loss_single(self, anchors: Tensor, cls_score: Tensor, bbox_pred: Tensor,
                    centerness: Tensor, labels: Tensor, label_weights: Tensor,
                    bbox_targets: Tensor, num_total_samples: float) -> tuple:
        """One level: (loss_cls, loss_bbox (sum, divided later), loss_centerness,
        sum of the centerness targets of the positives)."""
        anchors = anchors.reshape(-1, 4)
        cls_score = cls_score.permute(0, 2, 3, 1).reshape(-1, self.cls_out_channels).contiguous()
        bbox_pred = bbox_pred.permute(0, 2, 3, 1).reshape(-1, 4)
        centerness = centerness.permute(0, 2, 3, 1).reshape(-1)
        bbox_targets = bbox_targets.reshape(-1, 4)
        labels = labels.reshape(-1)
        label_weights = label_weights.reshape(-1)
        loss_cls = self.loss_cls(cls_score, labels, label_weights, avg_factor=num_total_samples)

        pos_inds = ((labels >= 0) & (labels < self.num_classes)).nonzero().squeeze(1)
        if len(pos_inds) > 0:
            pos_targets = bbox_targets[pos_inds]
            pos_anchors = anchors[pos_inds]
            ctr_targets = self.centerness_target(pos_anchors, pos_targets)
            pos_decoded = self.bbox_coder.decode(pos_anchors, bbox_pred[pos_inds])
            # summed here, averaged over the centerness targets of all levels in loss()
            loss_bbox = self.loss_bbox(pos_decoded, pos_targets, weight=ctr_targets,
                                       avg_factor=1.0)
            loss_centerness = self.loss_centerness(centerness[pos_inds], ctr_targets,
                                                   avg_factor=num_total_samples)
        else:
            loss_bbox = bbox_pred.sum() * 0
            loss_centerness = centerness.sum() * 0
            ctr_targets = bbox_targets.new_tensor(0.)
        return loss_cls, loss_bbox, loss_centerness, ctr_targets.sum()

    def loss(self, cls_scores: list, bbox_preds: list, centernesses: list, gt_bboxes: list,
             gt_labels: list, img_metas: list, gt_bboxes_ignore: Optional[list] = None) -> dict:
        """Per-level lists ``loss_cls``, ``loss_bbox``, ``loss_centerness``.

        Args:
            cls_scores, bbox_preds, centernesses (list[Tensor]): per level, from forward.
            gt_bboxes (list[Tensor]): per image (n_i, 4). gt_labels (list[Tensor]): (n_i,).
            img_metas (list[dict]): per image meta (img_shape, pad_shape).
            gt_bboxes_ignore (list[Tensor], optional): per image (k_i, 4).
        """
        if self.train_cfg is None:
            raise ValueError(f'{type(self).__name__}.loss: the head was built without '
                             f'train_cfg (assigner, allowed_border, pos_weight)')
        featmap_sizes = [s.size()[-2:] for s in cls_scores]
        if len(featmap_sizes) != self.prior_generator.num_levels:
            raise ValueError(f'{type(self).__name__}.loss: got {len(featmap_sizes)} levels, '
                             f'but the anchor generator has {self.prior_generator.num_levels}')
        device = cls_scores[0].device
        anchor_list, valid_flag_list = self.get_anchors(featmap_sizes, img_metas, device=device)
        (anchor_list, labels_list, label_weights_list, bbox_targets_list, _, num_total_pos,
         _) = self.get_targets(anchor_list, valid_flag_list, gt_bboxes, img_metas,
                               gt_bboxes_ignore_list=gt_bboxes_ignore, gt_labels_list=gt_labels)
        num_total_samples = max(
            _reduce_mean(torch.tensor(float(num_total_pos), device=device)).item(), 1.0)
        losses_cls, losses_bbox, losses_ctr, ctr_sums = multi_apply(
            self.loss_single, anchor_list, cls_scores, bbox_preds, centernesses, labels_list,
            label_weights_list, bbox_targets_list, num_total_samples=num_total_samples)
        bbox_avg_factor = _reduce_mean(sum(ctr_sums)).clamp_(min=1).item()
        losses_bbox = [loss / bbox_avg_factor for loss in losses_bbox]
        return dict(loss_cls=losses_cls, loss_bbox=losses_bbox, loss_centerness=losses_ctr)

    def centerness_target(self, anchors: Tensor, gts: Tensor) -> Tensor:
        """FCOS centerness of the anchor centres (K, 4) w.r.t. their gt boxes (K, 4): (K,)."""
        cx = (anchors[:, 2] + anchors[:, 0]) / 2
        cy = (anchors[:, 3] + anchors[:, 1]) / 2
        left_right = torch.stack([cx - gts[:, 0], gts[:, 2] - cx], dim=1)
        top_bottom = torch.stack([cy - gts[:, 1], gts[:, 3] - cy], dim=1)
        centerness = torch.sqrt(
            (left_right.min(dim=-1).values / left_right.max(dim=-1).values)
            * (top_bottom.min(dim=-1).values / top_bottom.max(dim=-1).values))
        if torch.isnan(centerness).any():
            raise FloatingPointError(f'{type(self).__name__}.centerness_target: NaN for a '
                                     f'positive anchor whose centre is outside its gt box')
        return centerness

    def get_targets(self, anchor_list: list, valid_flag_list: list, gt_bboxes_list: list,
                    img_metas: list, gt_bboxes_ignore_list: Optional[list] = None,
                    gt_labels_list: Optional[list] = None, label_channels: int = 1,
                    unmap_outputs: bool = True) -> tuple:
        """As :meth:`AnchorHead.get_targets`, with the per-level anchors first;
        see :func:`atss_get_targets`."""
        return atss_get_targets(self, anchor_list, valid_flag_list, gt_bboxes_list, img_metas,
                                gt_bboxes_ignore_list, gt_labels_list, unmap_outputs)
