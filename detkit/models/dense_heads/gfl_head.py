"""``GFLHead``: Generalized Focal Loss head (joint quality score + box distributions)."""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ...registry import HEADS
from ..builder import build_loss
from ..layers import Scale
from ..task_modules import build_sampler
from ..task_modules.iou_calculators.iou2d_calculator import bbox_overlaps
from .anchor_head import AnchorHead
from .atss_head import _tower, atss_get_targets
from .dense_utils import filter_scores_and_topk, multi_apply
from .fcos_head import _reduce_mean


class Integral(nn.Module):
    """Expected value of a discrete distribution over {0, 1, ..., reg_max}.

    The buffer ``project`` (reg_max + 1,) holds the support (checkpoint key
    ``integral.project``).

    Args:
        reg_max (int): largest value of the support. Default 16.

    Shapes: (..., 4 * (reg_max + 1)) logits -> (N, 4) distances, N = numel / (4 * (reg_max + 1)).
    """

    def __init__(self, reg_max: int = 16):
        super().__init__()
        self.reg_max = reg_max
        self.register_buffer('project', torch.linspace(0, reg_max, reg_max + 1))

    def forward(self, x: Tensor) -> Tensor:
        x = F.softmax(x.reshape(-1, self.reg_max + 1), dim=1)
        return F.linear(x, self.project.type_as(x)).reshape(-1, 4)


@HEADS.register_module()
class GFLHead(AnchorHead):
    """Head of `GFL <https://arxiv.org/abs/2006.04388>`_: QFL + DFL + GIoU, ATSS assignment.

    Sub-modules (checkpoint keys): ``cls_convs``, ``reg_convs``, ``gfl_cls``,
    ``gfl_reg``, ``scales``, ``integral`` (buffer ``project``).

    Args:
        num_classes (int): C. in_channels (int): input channels.
        stacked_convs (int): convs per tower. Default 4.
        conv_cfg, norm_cfg (dict, optional): tower layer configs (GN(32) by default).
        loss_dfl (dict): Distribution Focal Loss config.
        bbox_coder (dict): DistancePointBBoxCoder by default (distances in strides).
        reg_max (int): distances are distributions over {0, ..., reg_max} strides.
        init_cfg (dict | list[dict], optional); **kwargs: see :class:`AnchorHead`
            (``loss_cls`` is a QualityFocalLoss, ``loss_bbox`` a GIoULoss).

    Outputs per level l: cls_score (B, C, H_l, W_l) joint class-quality logits,
    bbox_pred (B, 4 * (reg_max + 1), H_l, W_l) distribution logits of (l, t, r, b).
    """

    def __init__(self, num_classes: int, in_channels: int, stacked_convs: int = 4,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = dict(type='GN', num_groups=32, requires_grad=True),  # noqa: B006
                 loss_dfl: dict = dict(type='DistributionFocalLoss', loss_weight=0.25),  # noqa: B006
                 bbox_coder: dict = dict(type='DistancePointBBoxCoder'), reg_max: int = 16,  # noqa: B006
                 init_cfg: Union[dict, list, None] = dict(  # noqa: B006
                     type='Normal', layer='Conv2d', std=0.01,
                     override=dict(type='Normal', name='gfl_cls', std=0.01, bias_prob=0.01)),
                 **kwargs):
        self.stacked_convs = stacked_convs
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.reg_max = reg_max
        super().__init__(num_classes, in_channels, bbox_coder=bbox_coder, init_cfg=init_cfg,
                         **kwargs)
        self.sampling = False
        if self.train_cfg:
            self.sampler = build_sampler(dict(type='PseudoSampler'), context=self)
        self.integral = Integral(self.reg_max)
        self.loss_dfl = build_loss(loss_dfl)

    def _init_layers(self) -> None:
        if self.num_base_priors != 1:
            raise ValueError(f'{type(self).__name__} is anchor-free at heart: it needs one '
                             f'anchor per cell, but the anchor generator gives '
                             f'{self.num_base_priors} (use one ratio and scales_per_octave=1)')
        self.relu = nn.ReLU(inplace=True)
        self.cls_convs = _tower(self.in_channels, self.feat_channels, self.stacked_convs,
                                self.conv_cfg, self.norm_cfg)
        self.reg_convs = _tower(self.in_channels, self.feat_channels, self.stacked_convs,
                                self.conv_cfg, self.norm_cfg)
        self.gfl_cls = nn.Conv2d(self.feat_channels, self.cls_out_channels, 3, padding=1)
        self.gfl_reg = nn.Conv2d(self.feat_channels, 4 * (self.reg_max + 1), 3, padding=1)
        self.scales = nn.ModuleList([Scale(1.0) for _ in self.prior_generator.strides])

    def forward(self, feats: Sequence[Tensor]) -> tuple:
        """Per-level lists (cls_scores, bbox_preds)."""
        return multi_apply(self.forward_single, feats, self.scales)

    def forward_single(self, x: Tensor, scale: nn.Module) -> tuple:
        """One level: cls_score (B, C, H, W), bbox_pred (B, 4 * (reg_max + 1), H, W)."""
        cls_feat = x
        for conv in self.cls_convs:
            cls_feat = conv(cls_feat)
        reg_feat = x
        for conv in self.reg_convs:
            reg_feat = conv(reg_feat)
        return self.gfl_cls(cls_feat), scale(self.gfl_reg(reg_feat)).float()

    def anchor_center(self, anchors: Tensor) -> Tensor:
        """Centres (..., 2) of (..., 4) (x1, y1, x2, y2) anchors."""
        return torch.stack([(anchors[..., 2] + anchors[..., 0]) / 2,
                            (anchors[..., 3] + anchors[..., 1]) / 2], dim=-1)

    def loss_single(self, anchors: Tensor, cls_score: Tensor, bbox_pred: Tensor, labels: Tensor,
                    label_weights: Tensor, bbox_targets: Tensor, stride: tuple,
                    num_total_samples: float) -> tuple:
        """One level: (loss_cls, loss_bbox, loss_dfl, sum of the box-loss weights); the box
        losses are sums here, averaged in :meth:`loss` over the weights of all levels."""
        if stride[0] != stride[1]:
            raise ValueError(f'{type(self).__name__}: square strides only, got {stride}')
        anchors = anchors.reshape(-1, 4)
        cls_score = cls_score.permute(0, 2, 3, 1).reshape(-1, self.cls_out_channels)
        bbox_pred = bbox_pred.permute(0, 2, 3, 1).reshape(-1, 4 * (self.reg_max + 1))
        bbox_targets = bbox_targets.reshape(-1, 4)
        labels = labels.reshape(-1)
        label_weights = label_weights.reshape(-1)

        pos_inds = ((labels >= 0) & (labels < self.num_classes)).nonzero().squeeze(1)
        score = label_weights.new_zeros(labels.shape)
        if len(pos_inds) > 0:
            # everything in units of the stride: the distributions live on {0, ..., reg_max}
            pos_centers = self.anchor_center(anchors[pos_inds]) / stride[0]
            pos_targets = bbox_targets[pos_inds] / stride[0]
            weight_targets = cls_score.detach().sigmoid().max(dim=1).values[pos_inds]
            pos_pred = bbox_pred[pos_inds]
            pos_decoded = self.bbox_coder.decode(pos_centers, self.integral(pos_pred))
            # the quality target of the joint score is the IoU of the current prediction
            score[pos_inds] = bbox_overlaps(pos_decoded.detach(), pos_targets, is_aligned=True)
            pred_corners = pos_pred.reshape(-1, self.reg_max + 1)
            target_corners = self.bbox_coder.encode(pos_centers, pos_targets,
                                                    self.reg_max).reshape(-1)
            loss_bbox = self.loss_bbox(pos_decoded, pos_targets, weight=weight_targets,
                                       avg_factor=1.0)
            loss_dfl = self.loss_dfl(pred_corners, target_corners,
                                     weight=weight_targets[:, None].expand(-1, 4).reshape(-1),
                                     avg_factor=4.0)
        else:
            loss_bbox = bbox_pred.sum() * 0
            loss_dfl = bbox_pred.sum() * 0
            weight_targets = bbox_pred.new_tensor(0.)
        loss_cls = self.loss_cls(cls_score, (labels, score), weight=label_weights,
                                 avg_factor=num_total_samples)
        return loss_cls, loss_bbox, loss_dfl, weight_targets.sum()

    def loss(self, cls_scores: list, bbox_preds: list, gt_bboxes: list, gt_labels: list,
             img_metas: list, gt_bboxes_ignore: Optional[list] = None) -> dict:
        """Per-level lists ``loss_cls`` (QFL), ``loss_bbox`` (GIoU), ``loss_dfl``.

        Args:
            cls_scores, bbox_preds (list[Tensor]): per level, from forward.
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
        losses_cls, losses_bbox, losses_dfl, weight_sums = multi_apply(
            self.loss_single, anchor_list, cls_scores, bbox_preds, labels_list,
            label_weights_list, bbox_targets_list, self.prior_generator.strides,
            num_total_samples=num_total_samples)
        avg_factor = _reduce_mean(sum(weight_sums)).clamp_(min=1).item()
        return dict(loss_cls=losses_cls, loss_bbox=[x / avg_factor for x in losses_bbox],
                    loss_dfl=[x / avg_factor for x in losses_dfl])

    def get_targets(self, anchor_list: list, valid_flag_list: list, gt_bboxes_list: list,
                    img_metas: list, gt_bboxes_ignore_list: Optional[list] = None,
                    gt_labels_list: Optional[list] = None, label_channels: int = 1,
                    unmap_outputs: bool = True) -> tuple:
        """ATSS targets with the anchors first, box targets as absolute gt boxes
        (the distributions are learned from them); see :func:`atss_get_targets`."""
        return atss_get_targets(self, anchor_list, valid_flag_list, gt_bboxes_list, img_metas,
                                gt_bboxes_ignore_list, gt_labels_list, unmap_outputs,
                                decoded_targets=True)

    def _get_bboxes_single(self, cls_score_list: list, bbox_pred_list: list,
                           score_factor_list: list, mlvl_priors: list, img_meta: dict,
                           cfg: Optional[dict], rescale: bool = False, with_nms: bool = True,
                           **kwargs: Any) -> tuple:
        """Decode one image: expected distances x stride from the anchor centres, then the
        shared post-processing (see :meth:`BaseDenseHead._get_bboxes_single`)."""
        cfg = self.test_cfg if cfg is None else cfg
        img_shape = img_meta['img_shape']
        nms_pre = cfg.get('nms_pre', -1)
        mlvl_bboxes, mlvl_scores, mlvl_labels = [], [], []
        for cls_score, bbox_pred, stride, priors in zip(
                cls_score_list, bbox_pred_list, self.prior_generator.strides, mlvl_priors):
            bbox_pred = self.integral(bbox_pred.permute(1, 2, 0)) * stride[0]
            scores = cls_score.permute(1, 2, 0).reshape(-1, self.cls_out_channels).sigmoid()
            scores, labels, _, filtered = filter_scores_and_topk(
                scores, cfg.get('score_thr', 0), nms_pre,
                dict(bbox_pred=bbox_pred, priors=priors))
            bboxes = self.bbox_coder.decode(self.anchor_center(filtered['priors']),
                                            filtered['bbox_pred'], max_shape=img_shape)
            mlvl_bboxes.append(bboxes)
            mlvl_scores.append(scores)
            mlvl_labels.append(labels)
        return self._bbox_post_process(mlvl_scores, mlvl_labels, mlvl_bboxes,
                                       img_meta['scale_factor'], cfg, rescale=rescale,
                                       with_nms=with_nms)
