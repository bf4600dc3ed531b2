"""``VFNetHead``: IoU-aware classification with star-shaped deformable refinement (VFNet)."""
from __future__ import annotations

import math
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from torch import Tensor
from torchvision.ops import deform_conv2d

from ...registry import HEADS
from ..builder import build_loss
from ..layers import ConvModule, Scale
from ..task_modules import build_assigner, build_prior_generator, build_sampler
from ..task_modules.iou_calculators.iou2d_calculator import bbox_overlaps
from ..task_modules.prior_generators import MlvlPointGenerator
from .anchor_free_head import AnchorFreeHead
from .atss_head import atss_get_targets
from .dense_utils import multi_apply
from .fcos_head import INF, FCOSHead, _reduce_mean


class DeformConv2d(nn.Module):
    """Deformable 3x3 conv without bias, as mmcv's ``DeformConv2d`` (key ``weight``).

    Runs ``torchvision.ops.deform_conv2d``, whose offsets use mmcv's layout:
    channel 2k is the y offset and 2k + 1 the x offset of kernel point k (row-major).

    Shapes: x (B, C_in, H, W), offset (B, 2 * k * k, H, W) -> (B, C_out, H, W).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0):
        super().__init__()
        self.stride = stride
        self.padding = padding
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kernel_size,
                                               kernel_size))
        # mmcv's reset_parameters: uniform in +-1/sqrt(fan_in); init_cfg 'Conv2d' skips it
        stdv = 1.0 / math.sqrt(in_channels * kernel_size * kernel_size)
        nn.init.uniform_(self.weight, -stdv, stdv)

    def forward(self, x: Tensor, offset: Tensor) -> Tensor:
        return deform_conv2d(x, offset, self.weight, stride=self.stride, padding=self.padding)


@HEADS.register_module()
class VFNetHead(FCOSHead):
    """Head of `VarifocalNet <https://arxiv.org/abs/2008.13367>`_.

    An FCOS-style head whose classifier predicts an IoU-aware score (trained with
    Varifocal Loss) and whose boxes are refined by a star-shaped deformable conv
    sampling the initial box's edges; positives come from ATSS (``use_atss``).

    Sub-modules (checkpoint keys): ``cls_convs``, ``reg_convs``, ``vfnet_reg_conv``,
    ``vfnet_reg``, ``scales``, ``vfnet_reg_refine_dconv``, ``vfnet_reg_refine``,
    ``scales_refine``, ``vfnet_cls_dconv``, ``vfnet_cls``.

    Args:
        num_classes (int): C. in_channels (int): input channels.
        regress_ranges, center_sampling, center_sample_radius: FCOS targets (use_atss=False).
        sync_num_pos (bool): average the positives over ranks. Default True.
        gradient_mul (float): gradient scale of the initial box into the offsets. Default 0.1.
        bbox_norm_type (str): 'reg_denom' (distances x the level's range end) or 'stride'.
        loss_cls_fl (dict): focal loss, used when ``use_vfl`` is False.
        use_vfl (bool): Varifocal Loss on IoU targets. Default True.
        loss_cls, loss_bbox, loss_bbox_refine (dict): loss configs.
        norm_cfg (dict): tower norm. use_atss (bool): ATSS positives. Default True.
        reg_decoded_bbox (bool): kept for MMDetection's signature (always decoded).
        anchor_generator (dict): ATSS anchors; ``center_offset`` also places the points.
        init_cfg (dict | list[dict], optional); **kwargs: see :class:`AnchorFreeHead`.

    Outputs per level l: training: cls_score (B, C, H_l, W_l), bbox_pred and
    bbox_pred_refine (B, 4, H_l, W_l) distances in pixels; eval: cls_score and
    bbox_pred_refine only.
    """

    def __init__(self, num_classes: int, in_channels: int,
                 regress_ranges: Sequence = ((-1, 64), (64, 128), (128, 256), (256, 512),
                                             (512, INF)),
                 center_sampling: bool = False, center_sample_radius: float = 1.5,
                 sync_num_pos: bool = True, gradient_mul: float = 0.1,
                 bbox_norm_type: str = 'reg_denom',
                 loss_cls_fl: dict = dict(type='FocalLoss', use_sigmoid=True, gamma=2.0,  # noqa: B006
                                          alpha=0.25, loss_weight=1.0),
                 use_vfl: bool = True,
                 loss_cls: dict = dict(type='VarifocalLoss', use_sigmoid=True, alpha=0.75,  # noqa: B006
                                       gamma=2.0, iou_weighted=True, loss_weight=1.0),
                 loss_bbox: dict = dict(type='GIoULoss', loss_weight=1.5),  # noqa: B006
                 loss_bbox_refine: dict = dict(type='GIoULoss', loss_weight=2.0),  # noqa: B006
                 norm_cfg: Optional[dict] = dict(type='GN', num_groups=32, requires_grad=True),  # noqa: B006
                 use_atss: bool = True, reg_decoded_bbox: bool = True,
                 anchor_generator: dict = dict(type='AnchorGenerator', ratios=[1.0],  # noqa: B006
                                               octave_base_scale=8, scales_per_octave=1,
                                               center_offset=0.0, strides=[8, 16, 32, 64, 128]),
                 init_cfg: Union[dict, list, None] = dict(  # noqa: B006
                     type='Normal', layer='Conv2d', std=0.01,
                     override=dict(type='Normal', name='vfnet_cls', std=0.01, bias_prob=0.01)),
                 **kwargs):
        if bbox_norm_type not in ('reg_denom', 'stride'):
            raise ValueError(f"VFNetHead: bbox_norm_type must be 'reg_denom' or 'stride', "
                             f'but got {bbox_norm_type!r}')
        # the 3x3 kernel points of the star: offsets are relative to this regular grid
        self.num_dconv_points = 9
        self.dcn_kernel = 3
        self.dcn_pad = 1
        base = torch.arange(-1, 2, dtype=torch.float64)
        self.dcn_base_offset = torch.stack(
            [base.repeat_interleave(3), base.repeat(3)], 1).reshape(1, -1, 1, 1)
        # FCOSHead's attributes, without its centerness branch
        self.regress_ranges = regress_ranges
        self.center_sampling = center_sampling
        self.center_sample_radius = center_sample_radius
        self.norm_on_bbox = False
        self.centerness_on_reg = False
        AnchorFreeHead.__init__(self, num_classes, in_channels, norm_cfg=norm_cfg,
                                init_cfg=init_cfg, loss_cls=loss_cls, **kwargs)
        self.reg_denoms = [r[-1] for r in regress_ranges]
        self.reg_denoms[-1] = self.reg_denoms[-2] * 2
        self.sync_num_pos = sync_num_pos
        self.bbox_norm_type = bbox_norm_type
        self.gradient_mul = gradient_mul
        self.use_vfl = use_vfl
        self.loss_cls = build_loss(loss_cls if use_vfl else loss_cls_fl)
        self.loss_bbox = build_loss(loss_bbox)
        self.loss_bbox_refine = build_loss(loss_bbox_refine)
        self.use_atss = use_atss
        self.reg_decoded_bbox = reg_decoded_bbox
        self.use_sigmoid_cls = loss_cls.get('use_sigmoid', False)
        self.anchor_center_offset = anchor_generator.get('center_offset', 0.0)
        self.sampling = False
        if self.train_cfg:
            self.assigner = build_assigner(self.train_cfg['assigner'])
            self.sampler = build_sampler(dict(type='PseudoSampler'), context=self)
        self.atss_prior_generator = build_prior_generator(anchor_generator)
        self.fcos_prior_generator = MlvlPointGenerator(
            anchor_generator['strides'], self.anchor_center_offset if use_atss else 0.5)
        # get_bboxes of BaseDenseHead decodes against ``prior_generator``: the points
        self.prior_generator = self.fcos_prior_generator

    def _init_layers(self) -> None:
        self._init_cls_convs()
        self._init_reg_convs()
        self.relu = nn.ReLU()
        self.vfnet_reg_conv = ConvModule(self.feat_channels, self.feat_channels, 3, stride=1,
                                         padding=1, conv_cfg=self.conv_cfg,
                                         norm_cfg=self.norm_cfg, bias=self.conv_bias)
        self.vfnet_reg = nn.Conv2d(self.feat_channels, 4, 3, padding=1)
        self.scales = nn.ModuleList([Scale(1.0) for _ in self.strides])
        self.vfnet_reg_refine_dconv = DeformConv2d(self.feat_channels, self.feat_channels,
                                                   self.dcn_kernel, 1, padding=self.dcn_pad)
        self.vfnet_reg_refine = nn.Conv2d(self.feat_channels, 4, 3, padding=1)
        self.scales_refine = nn.ModuleList([Scale(1.0) for _ in self.strides])
        self.vfnet_cls_dconv = DeformConv2d(self.feat_channels, self.feat_channels,
                                            self.dcn_kernel, 1, padding=self.dcn_pad)
        self.vfnet_cls = nn.Conv2d(self.feat_channels, self.cls_out_channels, 3, padding=1)

    def _load_from_state_dict(self, *args, **kwargs):
        # VFNet never had the FCOS-era predictor names: load keys as they are
        nn.Module._load_from_state_dict(self, *args, **kwargs)

    def forward(self, feats: Sequence[Tensor]) -> tuple:
        """Per-level lists (cls_scores, bbox_preds, bbox_preds_refine) in training,
        (cls_scores, bbox_preds_refine) in eval mode."""
        return multi_apply(self.forward_single, feats, self.scales, self.scales_refine,
                           self.strides, self.reg_denoms)

    def forward_single(self, x: Tensor, scale: nn.Module, scale_refine: nn.Module,
                       stride: int, reg_denom: float) -> tuple:
        """One level, see :meth:`forward`."""
        cls_feat = x
        for layer in self.cls_convs:
            cls_feat = layer(cls_feat)
        reg_feat = x
        for layer in self.reg_convs:
            reg_feat = layer(reg_feat)
        reg_feat_init = self.vfnet_reg_conv(reg_feat)
        norm = reg_denom if self.bbox_norm_type == 'reg_denom' else stride
        bbox_pred = scale(self.vfnet_reg(reg_feat_init)).float().exp() * norm
        dcn_offset = self.star_dcn_offset(bbox_pred, self.gradient_mul,
                                          stride).to(reg_feat.dtype)
        reg_feat = self.relu(self.vfnet_reg_refine_dconv(reg_feat, dcn_offset))
        # the refinement is a factor on the (fixed) initial box
        bbox_pred_refine = scale_refine(self.vfnet_reg_refine(reg_feat)).float().exp()
        bbox_pred_refine = bbox_pred_refine * bbox_pred.detach()
        cls_feat = self.relu(self.vfnet_cls_dconv(cls_feat, dcn_offset))
        cls_score = self.vfnet_cls(cls_feat)
        if self.training:
            return cls_score, bbox_pred, bbox_pred_refine
        return cls_score, bbox_pred_refine

    def star_dcn_offset(self, bbox_pred: Tensor, gradient_mul: float, stride: int) -> Tensor:
        """Offsets (B, 18, H, W) moving the 3x3 kernel onto the box: the corners, edge
        midpoints and centre of the (l, t, r, b) box ``bbox_pred`` (B, 4, H, W), in cells.

        Only ``gradient_mul`` of the gradient flows back into the initial box.
        """
        base = self.dcn_base_offset.to(bbox_pred)
        pred = ((1 - gradient_mul) * bbox_pred.detach() + gradient_mul * bbox_pred) / stride
        left, top, right, bottom = pred.unbind(1)
        zero = torch.zeros_like(left)
        # kernel point k = 3 * row + col at (y, x) in {-top, 0, bottom} x {-left, 0, right}
        ys = (-top, zero, bottom)
        xs = (-left, zero, right)
        offset = torch.stack([c for r in range(3) for col in range(3)
                              for c in (ys[r], xs[col])], 1)
        return offset - base

    def loss(self, cls_scores: list, bbox_preds: list, bbox_preds_refine: list,
             gt_bboxes: list, gt_labels: list, img_metas: list,
             gt_bboxes_ignore: Optional[list] = None) -> dict:
        """``loss_cls`` (VFL on IoU targets), ``loss_bbox`` and ``loss_bbox_rf`` (GIoU
        weighted by the IoU of each prediction), as scalars.

        Args:
            cls_scores, bbox_preds, bbox_preds_refine (list[Tensor]): per level, from forward.
            gt_bboxes (list[Tensor]): per image (n_i, 4). gt_labels (list[Tensor]): (n_i,).
            img_metas (list[dict]): per image meta. gt_bboxes_ignore: per image (k_i, 4).
        """
        if not len(cls_scores) == len(bbox_preds) == len(bbox_preds_refine):
            raise ValueError('VFNetHead.loss: cls_scores, bbox_preds and bbox_preds_refine '
                             'must have one entry per level each')
        featmap_sizes = [s.size()[-2:] for s in cls_scores]
        points = self.fcos_prior_generator.grid_priors(featmap_sizes, bbox_preds[0].dtype,
                                                       bbox_preds[0].device)
        labels, label_weights, bbox_targets, _ = self.get_targets(
            cls_scores, points, gt_bboxes, gt_labels, img_metas, gt_bboxes_ignore)

        num_imgs = cls_scores[0].size(0)
        flat_cls = torch.cat([s.permute(0, 2, 3, 1).reshape(-1, self.cls_out_channels)
                              for s in cls_scores])
        flat_bbox = torch.cat([b.permute(0, 2, 3, 1).reshape(-1, 4) for b in bbox_preds])
        flat_refine = torch.cat([b.permute(0, 2, 3, 1).reshape(-1, 4)
                                 for b in bbox_preds_refine])
        flat_labels = torch.cat(labels)
        flat_targets = torch.cat(bbox_targets)
        flat_points = torch.cat([p.repeat(num_imgs, 1) for p in points])

        pos_inds = ((flat_labels >= 0) & (flat_labels < self.num_classes)).nonzero().reshape(-1)
        num_pos = len(pos_inds)
        if self.sync_num_pos:
            num_pos_avg = max(_reduce_mean(flat_cls.new_tensor(float(num_pos))).item(), 1.0)
        else:
            num_pos_avg = num_pos
        pos_labels = flat_labels[pos_inds]
        pos_points = flat_points[pos_inds]
        pos_decoded = self.bbox_coder.decode(pos_points, flat_bbox[pos_inds])
        pos_decoded_refine = self.bbox_coder.decode(pos_points, flat_refine[pos_inds])
        pos_decoded_targets = self.bbox_coder.decode(pos_points, flat_targets[pos_inds])
        iou_ini = bbox_overlaps(pos_decoded, pos_decoded_targets.detach(),
                                is_aligned=True).clamp(min=1e-6)
        iou_rf = bbox_overlaps(pos_decoded_refine, pos_decoded_targets.detach(),
                               is_aligned=True).clamp(min=1e-6)
        weights_ini, weights_rf = iou_ini.detach(), iou_rf.detach()
        cls_iou_targets = torch.zeros_like(flat_cls)
        if num_pos > 0:
            avg_ini = _reduce_mean(weights_ini.sum()).clamp_(min=1).item()
            avg_rf = _reduce_mean(weights_rf.sum()).clamp_(min=1).item()
            loss_bbox = self.loss_bbox(pos_decoded, pos_decoded_targets.detach(),
                                       weight=weights_ini, avg_factor=avg_ini)
            loss_bbox_refine = self.loss_bbox_refine(pos_decoded_refine,
                                                     pos_decoded_targets.detach(),
                                                     weight=weights_rf, avg_factor=avg_rf)
            # the classification target of a positive is the IoU of its refined box
            cls_iou_targets[pos_inds, pos_labels] = weights_rf
        else:
            loss_bbox = flat_bbox[pos_inds].sum() * 0
            loss_bbox_refine = flat_refine[pos_inds].sum() * 0
        if self.use_vfl:
            loss_cls = self.loss_cls(flat_cls, cls_iou_targets, avg_factor=num_pos_avg)
        else:
            loss_cls = self.loss_cls(flat_cls, flat_labels, weight=label_weights,
                                     avg_factor=num_pos_avg)
        return dict(loss_cls=loss_cls, loss_bbox=loss_bbox, loss_bbox_rf=loss_bbox_refine)

    def get_targets(self, cls_scores: list, mlvl_points: list, gt_bboxes: list,
                    gt_labels: list, img_metas: list,
                    gt_bboxes_ignore: Optional[list] = None) -> tuple:
        """Labels per level (B * P_l,), label weights (all levels) or None, (l, t, r, b)
        targets per level (B * P_l, 4) in pixels, bbox weights or None; from ATSS on
        anchors when ``use_atss``, else FCOS's rules on the points."""
        if not self.use_atss:
            labels, bbox_targets = FCOSHead.get_targets(self, mlvl_points, gt_bboxes, gt_labels)
            return labels, None, bbox_targets, None
        featmap_sizes = [s.size()[-2:] for s in cls_scores]
        device = cls_scores[0].device
        anchor_list = [self.atss_prior_generator.grid_priors(featmap_sizes, device=device)
                       for _ in img_metas]
        valid_flag_list = [self.atss_prior_generator.valid_flags(featmap_sizes,
                                                                 meta['pad_shape'], device)
                           for meta in img_metas]
        (_, labels_list, label_weights_list, bbox_targets_list, bbox_weights_list, _,
         _) = atss_get_targets(self, anchor_list, valid_flag_list, gt_bboxes, img_metas,
                               gt_bboxes_ignore, gt_labels, decoded_targets=True)
        num_imgs = len(img_metas)
        # gt boxes -> distances from the points (anchor centres), image-major within a level
        bbox_targets = [self.bbox_coder.encode(p.repeat(num_imgs, 1), t.reshape(-1, 4))
                        for p, t in zip(mlvl_points, bbox_targets_list)]
        labels = [lb.reshape(-1) for lb in labels_list]
        label_weights = torch.cat([w.reshape(-1) for w in label_weights_list])
        bbox_weights = torch.cat([w.reshape(-1, 4) for w in bbox_weights_list])
        return labels, label_weights, bbox_targets, bbox_weights
