"""``YOLOXHead``: YOLOX's decoupled anchor-free head with SimOTA targets."""
from __future__ import annotations

import math
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ...ops import batched_nms
from ...registry import HEADS
from ...structures import bbox_xyxy_to_cxcywh
from ..builder import build_loss
from ..layers import ConvModule, DepthwiseSeparableConvModule, bias_init_with_prob
from ..task_modules import build_assigner, build_sampler
from ..task_modules.prior_generators import MlvlPointGenerator
from .base_dense_head import BaseDenseHead, _cfg_get
from .dense_utils import multi_apply
from .fcos_head import _reduce_mean
from .input_checks import check_gt_labels, check_img_metas


@HEADS.register_module()
class YOLOXHead(BaseDenseHead):
    """YOLOX head (https://arxiv.org/abs/2107.08430), MMDetection 2.x layout.

    Level l: ``multi_level_cls_convs[l]`` / ``multi_level_reg_convs[l]``
    (``stacked_convs`` 3x3 ConvModules each), then 1x1 predictors
    ``multi_level_conv_cls[l]`` (B, C, H_l, W_l), ``multi_level_conv_reg[l]``
    (B, 4, H_l, W_l) as (dx, dy, log w, log h) in strides from the cell's top-left
    corner, and ``multi_level_conv_obj[l]`` (B, 1, H_l, W_l) objectness logits.

    Training: SimOTA assigns gts to priors using the detached predictions; the
    class target of a positive is its IoU with the gt, the objectness target is
    1 for positives and 0 elsewhere, IoU loss on decoded boxes, and (once
    ``use_l1`` is switched on by ``YOLOXModeSwitchHook``) an L1 loss on the raw
    offsets; all sums are divided by the positives (averaged over processes).

    Args:
        num_classes (int): C. in_channels (int): channels of every input level.
        feat_channels (int): tower channels. Default 256.
        stacked_convs (int): convs per tower. Default 2.
        strides (Sequence[int]): stride of each level. Default (8, 16, 32).
        use_depthwise (bool): depthwise separable tower convs.
        dcn_on_last_conv (bool): DCNv2 as the last tower conv.
        conv_bias (bool | str): bias of the tower convs; 'auto' = no bias with a norm.
        conv_cfg, norm_cfg, act_cfg (dict): of the tower convs.
        loss_cls, loss_bbox, loss_obj, loss_l1 (dict): loss configs.
        train_cfg (dict, optional): ``assigner`` (a SimOTAAssigner config).
        test_cfg (dict, optional): ``score_thr``, ``nms`` (and optionally ``max_per_img``).
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    def __init__(self, num_classes: int, in_channels: int, feat_channels: int = 256,
                 stacked_convs: int = 2, strides: Sequence[int] = (8, 16, 32),
                 use_depthwise: bool = False, dcn_on_last_conv: bool = False,
                 conv_bias: Union[bool, str] = 'auto', conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', momentum=0.03, eps=0.001),  # noqa: B006 (mmdet default, never mutated)
                 act_cfg: dict = dict(type='Swish'),  # noqa: B006
                 loss_cls: dict = dict(type='CrossEntropyLoss', use_sigmoid=True,  # noqa: B006
                                       reduction='sum', loss_weight=1.0),
                 loss_bbox: dict = dict(type='IoULoss', mode='square', eps=1e-16,  # noqa: B006
                                        reduction='sum', loss_weight=5.0),
                 loss_obj: dict = dict(type='CrossEntropyLoss', use_sigmoid=True,  # noqa: B006
                                       reduction='sum', loss_weight=1.0),
                 loss_l1: dict = dict(type='L1Loss', reduction='sum', loss_weight=1.0),  # noqa: B006
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None,
                 init_cfg: Union[dict, list, None] = dict(  # noqa: B006
                     type='Kaiming', layer='Conv2d', a=math.sqrt(5), distribution='uniform',  # noqa: B008
                     mode='fan_in', nonlinearity='leaky_relu')):
        super().__init__(init_cfg)
        name = type(self).__name__
        if not (conv_bias == 'auto' or isinstance(conv_bias, bool)):
            raise ValueError(f"{name}: conv_bias must be 'auto' or a bool, got {conv_bias!r}")
        if dcn_on_last_conv:
            raise ValueError(f'{name}: dcn_on_last_conv=True needs DCNv2, which detkit does '
                             f'not provide; set dcn_on_last_conv=False')
        self.num_classes = num_classes
        self.cls_out_channels = num_classes
        self.in_channels = in_channels
        self.feat_channels = feat_channels
        self.stacked_convs = stacked_convs
        self.strides = strides
        self.use_depthwise = use_depthwise
        self.dcn_on_last_conv = dcn_on_last_conv
        self.conv_bias = conv_bias
        self.use_sigmoid_cls = True
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        self.loss_cls = build_loss(loss_cls)
        self.loss_bbox = build_loss(loss_bbox)
        self.loss_obj = build_loss(loss_obj)
        self.use_l1 = False  # switched on by YOLOXModeSwitchHook for the last epochs
        self.loss_l1 = build_loss(loss_l1)
        self.prior_generator = MlvlPointGenerator(strides, offset=0)
        self.test_cfg = test_cfg
        self.train_cfg = train_cfg
        self.sampling = False
        if self.train_cfg:
            if 'assigner' not in train_cfg:
                raise KeyError(f"{name}: train_cfg has no 'assigner' (keys present: "
                               f"{sorted(train_cfg)})")
            self.assigner = build_assigner(train_cfg['assigner'])
            # YOLOX does not sample: the assignment is the split
            self.sampler = build_sampler(dict(type='PseudoSampler'))
        self.fp16_enabled = False
        self._init_layers()

    def _init_layers(self) -> None:
        self.multi_level_cls_convs = nn.ModuleList()
        self.multi_level_reg_convs = nn.ModuleList()
        self.multi_level_conv_cls = nn.ModuleList()
        self.multi_level_conv_reg = nn.ModuleList()
        self.multi_level_conv_obj = nn.ModuleList()
        for _ in self.strides:
            self.multi_level_cls_convs.append(self._build_stacked_convs())
            self.multi_level_reg_convs.append(self._build_stacked_convs())
            self.multi_level_conv_cls.append(nn.Conv2d(self.feat_channels,
                                                       self.cls_out_channels, 1))
            self.multi_level_conv_reg.append(nn.Conv2d(self.feat_channels, 4, 1))
            self.multi_level_conv_obj.append(nn.Conv2d(self.feat_channels, 1, 1))

    def _build_stacked_convs(self) -> nn.Sequential:
        conv = DepthwiseSeparableConvModule if self.use_depthwise else ConvModule
        return nn.Sequential(*[
            conv(self.in_channels if i == 0 else self.feat_channels, self.feat_channels, 3,
                 stride=1, padding=1, conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg,
                 act_cfg=self.act_cfg, bias=self.conv_bias)
            for i in range(self.stacked_convs)])

    def init_weights(self) -> None:
        """``init_cfg``, then class and objectness biases at a 0.01 prior."""
        super().init_weights()
        bias_init = bias_init_with_prob(0.01)
        for conv_cls, conv_obj in zip(self.multi_level_conv_cls, self.multi_level_conv_obj):
            conv_cls.bias.data.fill_(bias_init)
            conv_obj.bias.data.fill_(bias_init)

    def forward_single(self, x: Tensor, cls_convs: nn.Module, reg_convs: nn.Module,
                       conv_cls: nn.Module, conv_reg: nn.Module,
                       conv_obj: nn.Module) -> tuple[Tensor, Tensor, Tensor]:
        """(B, in_channels, H, W) -> cls (B, C, H, W), reg (B, 4, H, W), obj (B, 1, H, W)."""
        cls_feat = cls_convs(x)
        reg_feat = reg_convs(x)
        return conv_cls(cls_feat), conv_reg(reg_feat), conv_obj(reg_feat)

    def forward(self, feats: Sequence[Tensor]) -> tuple[list, list, list]:
        """Per-level ``cls_scores``, ``bbox_preds``, ``objectnesses`` lists."""
        if len(feats) != len(self.strides):
            raise ValueError(f'{type(self).__name__}: got {len(feats)} feature levels for '
                             f'{len(self.strides)} strides')
        return multi_apply(self.forward_single, feats, self.multi_level_cls_convs,
                           self.multi_level_reg_convs, self.multi_level_conv_cls,
                           self.multi_level_conv_reg, self.multi_level_conv_obj)

    def _flatten(self, cls_scores: Sequence[Tensor], bbox_preds: Sequence[Tensor],
                 objectnesses: Sequence[Tensor]) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Levels concatenated: cls (B, P, C), box (B, P, 4), obj (B, P), priors (P, 4)
        as (x, y, stride_w, stride_h) with x, y the cells' top-left corners."""
        num_imgs = cls_scores[0].size(0)
        featmap_sizes = [cls_score.shape[2:] for cls_score in cls_scores]
        mlvl_priors = self.prior_generator.grid_priors(
            featmap_sizes, dtype=cls_scores[0].dtype, device=cls_scores[0].device,
            with_stride=True)
        flat_cls = torch.cat([c.permute(0, 2, 3, 1).reshape(num_imgs, -1, self.cls_out_channels)
                              for c in cls_scores], dim=1)
        flat_box = torch.cat([b.permute(0, 2, 3, 1).reshape(num_imgs, -1, 4)
                              for b in bbox_preds], dim=1)
        flat_obj = torch.cat([o.permute(0, 2, 3, 1).reshape(num_imgs, -1)
                              for o in objectnesses], dim=1)
        return flat_cls, flat_box, flat_obj, torch.cat(mlvl_priors)

    @staticmethod
    def _bbox_decode(priors: Tensor, bbox_preds: Tensor) -> Tensor:
        """(P, 4) priors and (..., P, 4) predictions -> (..., P, 4) boxes (x1, y1, x2, y2)."""
        xys = bbox_preds[..., :2] * priors[:, 2:] + priors[:, :2]
        whs = bbox_preds[..., 2:].exp() * priors[:, 2:]
        return torch.cat([xys - whs / 2, xys + whs / 2], dim=-1)

    # -- inference ---------------------------------------------------------------------
    def get_bboxes(self, cls_scores: list[Tensor], bbox_preds: list[Tensor],
                   objectnesses: list[Tensor], img_metas: Optional[list[dict]] = None,
                   cfg: Optional[dict] = None, rescale: bool = False,
                   with_nms: bool = True) -> list:
        """Decode a batch: per prior the best class, scored class * objectness, kept
        when >= ``score_thr``, then class-aware NMS.

        Args:
            cls_scores (list[Tensor]): per level (B, C, H_l, W_l).
            bbox_preds (list[Tensor]): per level (B, 4, H_l, W_l).
            objectnesses (list[Tensor]): per level (B, 1, H_l, W_l).
            img_metas (list[dict]): B dicts with ``scale_factor``.
            cfg (dict, optional): default ``self.test_cfg``.
            rescale (bool): boxes in original-image pixels.
            with_nms (bool): False returns the candidates before NMS.

        Returns:
            list[tuple]: per image ``(det_bboxes (n, 5), det_labels (n,))``, or with
            ``with_nms=False`` ``(bboxes (m, 4), scores (m,), labels (m,))``.
        """
        where = f'{type(self).__name__}.get_bboxes'
        if not len(cls_scores) == len(bbox_preds) == len(objectnesses):
            raise ValueError(f'{where}: {len(cls_scores)}, {len(bbox_preds)} and '
                             f'{len(objectnesses)} levels of cls_scores, bbox_preds and '
                             f'objectnesses')
        cfg = self.test_cfg if cfg is None else cfg
        score_thr = _cfg_get(cfg, 'score_thr', where)
        check_img_metas(img_metas, ('scale_factor', ), where, num_imgs=cls_scores[0].size(0))
        flat_cls, flat_box, flat_obj, priors = self._flatten(
            [c.detach() for c in cls_scores], [b.detach() for b in bbox_preds],
            [o.detach() for o in objectnesses])
        flat_bboxes = self._bbox_decode(priors, flat_box)
        if rescale:
            scale_factors = [flat_bboxes.new_tensor(m['scale_factor']).expand(4)
                             for m in img_metas]
            flat_bboxes = flat_bboxes / torch.stack(scale_factors)[:, None, :]
        max_scores, labels = flat_cls.sigmoid().max(dim=-1)
        scores = max_scores * flat_obj.sigmoid()
        results = []
        for bboxes, img_scores, img_labels in zip(flat_bboxes, scores, labels):
            valid = img_scores >= score_thr
            bboxes, img_scores, img_labels = bboxes[valid], img_scores[valid], img_labels[valid]
            if not with_nms:
                results.append((bboxes, img_scores, img_labels))
                continue
            if img_labels.numel() == 0:
                results.append((torch.cat([bboxes, img_scores[:, None]], -1), img_labels))
                continue
            dets, keep = batched_nms(bboxes, img_scores, img_labels, _cfg_get(cfg, 'nms', where))
            # MMDetection 2.25's YOLOX keeps every NMS survivor; a max_per_img is honoured
            max_per_img = cfg.get('max_per_img', -1)
            if max_per_img > 0:
                dets, keep = dets[:max_per_img], keep[:max_per_img]
            results.append((dets, img_labels[keep]))
        return results

    # -- training ----------------------------------------------------------------------
    @torch.no_grad()
    def _get_target_single(self, cls_preds: Tensor, objectness: Tensor, priors: Tensor,
                           decoded_bboxes: Tensor, gt_bboxes: Tensor,
                           gt_labels: Tensor) -> tuple:
        """Targets of one image over its P priors.

        Args:
            cls_preds (Tensor): (P, C) logits. objectness (Tensor): (P,) logits.
            priors (Tensor): (P, 4) (x, y, stride_w, stride_h).
            decoded_bboxes (Tensor): (P, 4). gt_bboxes (Tensor): (G, 4). gt_labels (G,).

        Returns:
            tuple: foreground mask (P,) bool, cls targets (K, C), obj targets (P, 1),
            bbox targets (K, 4), L1 targets (K, 4), K.
        """
        num_priors = priors.size(0)
        num_gts = gt_labels.size(0)
        gt_bboxes = gt_bboxes.to(decoded_bboxes.dtype)
        if num_gts == 0:
            return (cls_preds.new_zeros(num_priors).bool(),
                    cls_preds.new_zeros((0, self.num_classes)),
                    cls_preds.new_zeros((num_priors, 1)), cls_preds.new_zeros((0, 4)),
                    cls_preds.new_zeros((0, 4)), 0)
        # SimOTA assigns on the cell centres; boxes regress from the top-left corners
        offset_priors = torch.cat([priors[:, :2] + priors[:, 2:] * 0.5, priors[:, 2:]], dim=-1)
        assign_result = self.assigner.assign(
            cls_preds.sigmoid() * objectness.unsqueeze(1).sigmoid(), offset_priors,
            decoded_bboxes, gt_bboxes, gt_labels)
        sampling_result = self.sampler.sample(assign_result, priors, gt_bboxes)
        pos_inds = sampling_result.pos_inds
        num_pos_per_img = pos_inds.size(0)
        pos_ious = assign_result.max_overlaps[pos_inds]
        # IoU-aware classification: the target of the gt class is the IoU
        cls_target = (F.one_hot(sampling_result.pos_gt_labels.long(), self.num_classes)
                      * pos_ious.unsqueeze(-1))
        obj_target = torch.zeros_like(objectness).unsqueeze(-1)
        obj_target[pos_inds] = 1
        bbox_target = sampling_result.pos_gt_bboxes
        l1_target = cls_preds.new_zeros((num_pos_per_img, 4))
        if self.use_l1:
            l1_target = self._get_l1_target(bbox_target, priors[pos_inds])
        foreground_mask = torch.zeros_like(objectness).to(torch.bool)
        foreground_mask[pos_inds] = 1
        return (foreground_mask, cls_target, obj_target, bbox_target, l1_target,
                num_pos_per_img)

    @staticmethod
    def _get_l1_target(gt_bboxes: Tensor, priors: Tensor, eps: float = 1e-8) -> Tensor:
        """(K, 4) raw regression targets (the inverse of :meth:`_bbox_decode`)."""
        gt_cxcywh = bbox_xyxy_to_cxcywh(gt_bboxes)
        return torch.cat([(gt_cxcywh[:, :2] - priors[:, :2]) / priors[:, 2:],
                          torch.log(gt_cxcywh[:, 2:] / priors[:, 2:] + eps)], dim=-1)

    def loss(self, cls_scores: list[Tensor], bbox_preds: list[Tensor],
             objectnesses: list[Tensor], gt_bboxes: list[Tensor], gt_labels: list[Tensor],
             img_metas: list[dict], gt_bboxes_ignore: Optional[list[Tensor]] = None) -> dict:
        """Losses ``loss_cls``, ``loss_bbox``, ``loss_obj`` (and ``loss_l1`` with ``use_l1``).

        Args:
            cls_scores (list[Tensor]): per level (B, C, H_l, W_l).
            bbox_preds (list[Tensor]): per level (B, 4, H_l, W_l).
            objectnesses (list[Tensor]): per level (B, 1, H_l, W_l).
            gt_bboxes (list[Tensor]): per image (n_i, 4). gt_labels (list[Tensor]): (n_i,).
            img_metas (list[dict]): B meta dicts.
            gt_bboxes_ignore: unused (YOLOX has no ignore regions).
        """
        where = f'{type(self).__name__}.loss'
        if self.train_cfg is None:
            raise ValueError(f'{where}: the head was built without train_cfg (assigner), '
                             f'which training needs')
        check_gt_labels(gt_labels, gt_bboxes, self.num_classes, where)
        num_imgs = len(img_metas)
        flat_cls, flat_box, flat_obj, priors = self._flatten(cls_scores, bbox_preds,
                                                             objectnesses)
        flat_bboxes = self._bbox_decode(priors, flat_box)
        (pos_masks, cls_targets, obj_targets, bbox_targets, l1_targets,
         num_fg_imgs) = multi_apply(self._get_target_single, flat_cls.detach(),
                                    flat_obj.detach(),
                                    priors.unsqueeze(0).repeat(num_imgs, 1, 1),
                                    flat_bboxes.detach(), gt_bboxes, gt_labels)
        num_pos = torch.tensor(float(sum(num_fg_imgs)), device=flat_cls.device)
        # the positives averaged over processes, as MMDetection (better on COCO)
        num_total_samples = max(_reduce_mean(num_pos).item(), 1.0)
        pos_masks = torch.cat(pos_masks, 0)
        cls_targets = torch.cat(cls_targets, 0)
        obj_targets = torch.cat(obj_targets, 0)
        bbox_targets = torch.cat(bbox_targets, 0)
        loss_bbox = self.loss_bbox(flat_bboxes.view(-1, 4)[pos_masks],
                                   bbox_targets) / num_total_samples
        loss_obj = self.loss_obj(flat_obj.view(-1, 1), obj_targets) / num_total_samples
        loss_cls = self.loss_cls(flat_cls.view(-1, self.num_classes)[pos_masks],
                                 cls_targets) / num_total_samples
        loss_dict = dict(loss_cls=loss_cls, loss_bbox=loss_bbox, loss_obj=loss_obj)
        if self.use_l1:
            l1_targets = torch.cat(l1_targets, 0)
            loss_dict['loss_l1'] = self.loss_l1(flat_box.view(-1, 4)[pos_masks],
                                                l1_targets) / num_total_samples
        return loss_dict
