"""``YOLOV3Head``: YOLOv3's per-level prediction maps, grid targets and losses."""
from __future__ import annotations

import warnings
from typing import Any, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from ...ops import batched_nms
from ...registry import HEADS
from ..builder import build_loss
from ..layers import ConvModule, bias_init_with_prob, constant_init, normal_init
from ..task_modules import build_assigner, build_bbox_coder, build_prior_generator, build_sampler
from ..task_modules.prior_generators import images_to_levels
from .base_dense_head import BaseDenseHead, _cfg_get
from .dense_utils import multi_apply
from .input_checks import check_gt_labels, check_img_metas


@HEADS.register_module()
class YOLOV3Head(BaseDenseHead):
    """YOLOv3 head (https://arxiv.org/abs/1804.02767), MMDetection 2.x layout.

    Level l: ``convs_bridge[l]`` (3x3 ConvModule to ``out_channels[l]``) then
    ``convs_pred[l]`` (1x1 conv) give a map (B, A * (5 + C), H_l, W_l); per anchor
    the attributes are (x, y, w, h, objectness, C class logits). Levels go from
    the coarsest (stride 32) to the finest.

    Training: each gt is matched (GridAssigner) among the anchors of the cell
    holding its centre; positives learn x, y (BCE on the sigmoid of the offset in
    the cell), w, h (MSE on log size ratios), objectness and classes (BCE);
    negatives (IoU <= neg_iou_thr with every gt) learn objectness 0.

    Args:
        num_classes (int): C, categories without background.
        in_channels (list[int]): channels of each input level.
        out_channels (list[int]): channels of each bridge conv. Default (1024, 512, 256).
        anchor_generator (dict): a ``YOLOAnchorGenerator`` config.
        bbox_coder (dict): a ``YOLOBBoxCoder`` config.
        featmap_strides (list[int]): stride of each level, descending.
        one_hot_smoother (float): label smoothing of the class targets. Default 0.
        conv_cfg, norm_cfg, act_cfg (dict): of the bridge convs.
        loss_cls, loss_conf, loss_xy, loss_wh (dict): loss configs.
        train_cfg (dict, optional): ``assigner`` (and optionally ``sampler``).
        test_cfg (dict, optional): ``score_thr``, ``conf_thr``, ``nms``, ``max_per_img``
            (``nms_pre`` and ``min_bbox_size`` are accepted and unused, as in
            MMDetection 2.25).
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    def __init__(self, num_classes: int, in_channels: Sequence[int],
                 out_channels: Sequence[int] = (1024, 512, 256),
                 anchor_generator: dict = dict(  # noqa: B006 (mmdet default, never mutated)
                     type='YOLOAnchorGenerator',
                     base_sizes=[[(116, 90), (156, 198), (373, 326)],
                                 [(30, 61), (62, 45), (59, 119)],
                                 [(10, 13), (16, 30), (33, 23)]],
                     strides=[32, 16, 8]),
                 bbox_coder: dict = dict(type='YOLOBBoxCoder'),  # noqa: B006
                 featmap_strides: Sequence[int] = (32, 16, 8),
                 one_hot_smoother: float = 0., conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),  # noqa: B006
                 act_cfg: dict = dict(type='LeakyReLU', negative_slope=0.1),  # noqa: B006
                 loss_cls: dict = dict(type='CrossEntropyLoss', use_sigmoid=True,  # noqa: B006
                                       loss_weight=1.0),
                 loss_conf: dict = dict(type='CrossEntropyLoss', use_sigmoid=True,  # noqa: B006
                                        loss_weight=1.0),
                 loss_xy: dict = dict(type='CrossEntropyLoss', use_sigmoid=True,  # noqa: B006
                                      loss_weight=1.0),
                 loss_wh: dict = dict(type='MSELoss', loss_weight=1.0),  # noqa: B006
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None,
                 init_cfg: Union[dict, list, None] = dict(  # noqa: B006
                     type='Normal', std=0.01, override=dict(name='convs_pred'))):
        super().__init__(init_cfg)
        name = type(self).__name__
        if not len(in_channels) == len(out_channels) == len(featmap_strides):
            raise ValueError(f'{name}: in_channels {list(in_channels)}, out_channels '
                             f'{list(out_channels)} and featmap_strides {list(featmap_strides)} '
                             f'must have one entry per level')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.featmap_strides = featmap_strides
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        if self.train_cfg:
            if 'assigner' not in train_cfg:
                raise KeyError(f"{name}: train_cfg has no 'assigner' (keys present: "
                               f"{sorted(train_cfg)})")
            self.assigner = build_assigner(train_cfg['assigner'])
            self.sampler = build_sampler(train_cfg.get('sampler') or dict(type='PseudoSampler'),
                                         context=self)
        self.fp16_enabled = False
        self.one_hot_smoother = one_hot_smoother
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        self.bbox_coder = build_bbox_coder(bbox_coder)
        self.prior_generator = build_prior_generator(anchor_generator)
        self.loss_cls = build_loss(loss_cls)
        self.loss_conf = build_loss(loss_conf)
        self.loss_xy = build_loss(loss_xy)
        self.loss_wh = build_loss(loss_wh)
        if len(self.prior_generator.num_base_priors) != len(featmap_strides):
            raise ValueError(f'{name}: the anchor generator has '
                             f'{len(self.prior_generator.num_base_priors)} levels for '
                             f'{len(featmap_strides)} featmap_strides')
        self.num_base_priors = self.prior_generator.num_base_priors[0]
        # get_bboxes reads these (BaseDenseHead conventions)
        self.use_sigmoid_cls = True
        self.cls_out_channels = num_classes
        self._init_layers()

    @property
    def num_levels(self) -> int:
        return len(self.featmap_strides)

    @property
    def num_attrib(self) -> int:
        """Attributes per anchor: 4 box + 1 objectness + C classes."""
        return 5 + self.num_classes

    @property
    def num_anchors(self) -> int:
        """Deprecated alias of ``num_base_priors``."""
        warnings.warn('num_anchors is deprecated, use num_base_priors', DeprecationWarning,
                      stacklevel=2)
        return self.num_base_priors

    def _init_layers(self) -> None:
        self.convs_bridge = nn.ModuleList()
        self.convs_pred = nn.ModuleList()
        for i in range(self.num_levels):
            self.convs_bridge.append(ConvModule(
                self.in_channels[i], self.out_channels[i], 3, padding=1,
                conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg, act_cfg=self.act_cfg))
            self.convs_pred.append(nn.Conv2d(self.out_channels[i],
                                             self.num_base_priors * self.num_attrib, 1))

    def init_weights(self) -> None:
        """N(0, 0.01) convs, unit norms, then the objectness and class bias priors."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                normal_init(m, mean=0, std=0.01)
            if isinstance(m, (_BatchNorm, nn.GroupNorm)):
                constant_init(m, 1)
        for conv_pred, stride in zip(self.convs_pred, self.featmap_strides):
            bias = conv_pred.bias.data.view(self.num_base_priors, -1)
            # about 8 objects per 608x608 image at every level (ultralytics' prior)
            bias[:, 4].fill_(bias_init_with_prob(8 / (608 / stride) ** 2))
            bias[:, 5:].fill_(bias_init_with_prob(0.01))
        self._is_init = True

    def forward(self, feats: Sequence[Tensor]) -> tuple[tuple[Tensor, ...]]:
        """Per level (B, in_channels[l], H_l, W_l) -> ``(pred_maps,)`` with per level
        (B, A * (5 + C), H_l, W_l)."""
        if len(feats) != self.num_levels:
            raise ValueError(f'{type(self).__name__}: got {len(feats)} feature levels, '
                             f'expected {self.num_levels}')
        pred_maps = tuple(self.convs_pred[i](self.convs_bridge[i](feats[i]))
                          for i in range(self.num_levels))
        return (pred_maps, )

    # -- inference ---------------------------------------------------------------------
    def get_bboxes(self, pred_maps: Sequence[Tensor], img_metas: list[dict],
                   cfg: Optional[dict] = None, rescale: bool = False,
                   with_nms: bool = True) -> list:
        """Decode a batch of prediction maps into detections.

        Per anchor: box decoded by ``bbox_coder``, objectness ``conf`` = sigmoid;
        anchors with ``conf < conf_thr`` are dropped; (anchor, class) pairs with
        sigmoid class score > ``score_thr`` remain, scored class * conf; then
        class-aware NMS and ``max_per_img`` (MMDetection's ``multiclass_nms``).

        Args:
            pred_maps (list[Tensor]): per level (B, A * (5 + C), H_l, W_l).
            img_metas (list[dict]): B dicts with ``scale_factor``.
            cfg (dict, optional): default ``self.test_cfg``.
            rescale (bool): boxes in original-image pixels.
            with_nms (bool): False returns the candidates before NMS.

        Returns:
            list[tuple]: per image ``(det_bboxes (n, 5), det_labels (n,))``, or with
            ``with_nms=False`` ``(bboxes (m, 4), scores (m,), labels (m,))``.
        """
        where = f'{type(self).__name__}.get_bboxes'
        if len(pred_maps) != self.num_levels:
            raise ValueError(f'{where}: got {len(pred_maps)} levels, expected {self.num_levels}')
        cfg = self.test_cfg if cfg is None else cfg
        score_thr = _cfg_get(cfg, 'score_thr', where)
        check_img_metas(img_metas, ('scale_factor', ), where, num_imgs=pred_maps[0].size(0))
        num_imgs = len(img_metas)
        featmap_sizes = [pred_map.shape[-2:] for pred_map in pred_maps]
        mlvl_anchors = self.prior_generator.grid_priors(featmap_sizes,
                                                        device=pred_maps[0].device)
        flatten_preds, flatten_strides = [], []
        for pred, stride in zip(pred_maps, self.featmap_strides):
            pred = pred.detach().permute(0, 2, 3, 1).reshape(num_imgs, -1, self.num_attrib)
            flatten_preds.append(pred)
            flatten_strides.append(pred.new_full((pred.size(1), ), float(stride)))
        flatten_preds = torch.cat(flatten_preds, dim=1)
        flatten_strides = torch.cat(flatten_strides)
        # x, y are sigmoid-ed offsets in the cell, w, h stay raw log ratios
        box_preds = torch.cat([flatten_preds[..., :2].sigmoid(), flatten_preds[..., 2:4]], -1)
        flatten_bboxes = self.bbox_coder.decode(torch.cat(mlvl_anchors), box_preds,
                                                flatten_strides[:, None])
        flatten_objectness = flatten_preds[..., 4].sigmoid()
        flatten_cls_scores = flatten_preds[..., 5:].sigmoid()
        if rescale:
            scale_factors = [flatten_bboxes.new_tensor(m['scale_factor']).expand(4)
                             for m in img_metas]
            flatten_bboxes = flatten_bboxes / torch.stack(scale_factors)[:, None, :]
        conf_thr = cfg.get('conf_thr', -1)
        results = []
        for bboxes, scores, conf in zip(flatten_bboxes, flatten_cls_scores, flatten_objectness):
            if conf_thr > 0:
                keep = conf >= conf_thr
                bboxes, scores, conf = bboxes[keep], scores[keep], conf[keep]
            # the threshold applies to the class score, the objectness only rescales it
            anchor_idx, labels = (scores > score_thr).nonzero(as_tuple=True)
            cand_bboxes = bboxes[anchor_idx]
            cand_scores = scores[anchor_idx, labels] * conf[anchor_idx]
            if not with_nms:
                results.append((cand_bboxes, cand_scores, labels))
                continue
            nms_cfg = _cfg_get(cfg, 'nms', where)
            max_per_img = _cfg_get(cfg, 'max_per_img', where)
            if cand_bboxes.numel() == 0:
                results.append((torch.cat([cand_bboxes, cand_scores[:, None]], -1), labels))
                continue
            dets, keep = batched_nms(cand_bboxes, cand_scores, labels, nms_cfg)
            if max_per_img > 0:
                dets, keep = dets[:max_per_img], keep[:max_per_img]
            results.append((dets, labels[keep]))
        return results

    def aug_test(self, feats: Sequence[Sequence[Tensor]], img_metas: Sequence[Sequence[dict]],
                 rescale: bool = False) -> list:
        """One image under several augmentations: [(det_bboxes (n, 5), det_labels (n,))]."""
        return self.aug_test_bboxes(feats, img_metas, rescale=rescale)

    # -- training ----------------------------------------------------------------------
    def _get_targets_single(self, anchors: list[Tensor], responsible_flags: list[Tensor],
                            gt_bboxes: Tensor, gt_labels: Tensor) -> tuple[Tensor, Tensor]:
        """Targets of one image over its N anchors of all levels.

        Args:
            anchors (list[Tensor]): per level (N_l, 4).
            responsible_flags (list[Tensor]): per level (N_l,) uint8.
            gt_bboxes (Tensor): (G, 4). gt_labels (Tensor): (G,).

        Returns:
            tuple: ``target_map`` (N, 5 + C) [x, y, w, h targets, 1 for positives,
            (smoothed) one-hot class] and ``neg_map`` (N,) uint8.
        """
        num_level_anchors = torch.tensor([a.size(0) for a in anchors], device=gt_bboxes.device)
        anchor_strides = torch.tensor(self.featmap_strides, dtype=torch.float32,
                                      device=gt_bboxes.device).repeat_interleave(
                                          num_level_anchors)
        concat_anchors = torch.cat(anchors)
        concat_responsible_flags = torch.cat(responsible_flags)
        assign_result = self.assigner.assign(concat_anchors, concat_responsible_flags, gt_bboxes)
        sampling_result = self.sampler.sample(assign_result, concat_anchors, gt_bboxes)
        pos_inds = sampling_result.pos_inds
        target_map = concat_anchors.new_zeros(concat_anchors.size(0), self.num_attrib)
        target_map[pos_inds, :4] = self.bbox_coder.encode(
            sampling_result.pos_bboxes, sampling_result.pos_gt_bboxes, anchor_strides[pos_inds])
        target_map[pos_inds, 4] = 1
        gt_labels_one_hot = F.one_hot(gt_labels.long(), num_classes=self.num_classes).float()
        if self.one_hot_smoother != 0:
            gt_labels_one_hot = (gt_labels_one_hot * (1 - self.one_hot_smoother)
                                 + self.one_hot_smoother / self.num_classes)
        target_map[pos_inds, 5:] = gt_labels_one_hot[sampling_result.pos_assigned_gt_inds]
        neg_map = concat_anchors.new_zeros(concat_anchors.size(0), dtype=torch.uint8)
        neg_map[sampling_result.neg_inds] = 1
        return target_map, neg_map

    def get_targets(self, anchor_list: list, responsible_flag_list: list,
                    gt_bboxes_list: list[Tensor], gt_labels_list: list[Tensor]) -> tuple:
        """Targets of a batch, split per level.

        Returns:
            tuple: ``target_maps_list`` per level (B, N_l, 5 + C) and
            ``neg_maps_list`` per level (B, N_l).
        """
        num_level_anchors = [anchors.size(0) for anchors in anchor_list[0]]
        all_target_maps, all_neg_maps = multi_apply(
            self._get_targets_single, anchor_list, responsible_flag_list, gt_bboxes_list,
            gt_labels_list)
        return (images_to_levels(all_target_maps, num_level_anchors),
                images_to_levels(all_neg_maps, num_level_anchors))

    def loss_single(self, pred_map: Tensor, target_map: Tensor,
                    neg_map: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Losses of one level.

        Args:
            pred_map (Tensor): (B, A * (5 + C), H, W).
            target_map (Tensor): (B, H * W * A, 5 + C). neg_map (Tensor): (B, H * W * A).

        Returns:
            tuple: ``loss_cls``, ``loss_conf``, ``loss_xy``, ``loss_wh`` scalars.
        """
        num_imgs = len(pred_map)
        pred_map = pred_map.permute(0, 2, 3, 1).reshape(num_imgs, -1, self.num_attrib)
        neg_mask = neg_map.float()
        pos_mask = target_map[..., 4]
        pos_and_neg_mask = neg_mask + pos_mask
        pos_mask = pos_mask.unsqueeze(dim=-1)
        if torch.max(pos_and_neg_mask) > 1.:
            warnings.warn(f'{type(self).__name__}: some anchors are both positive and '
                          f'negative; counting them once', stacklevel=2)
            pos_and_neg_mask = pos_and_neg_mask.clamp(min=0., max=1.)
        loss_cls = self.loss_cls(pred_map[..., 5:], target_map[..., 5:], weight=pos_mask)
        loss_conf = self.loss_conf(pred_map[..., 4], target_map[..., 4],
                                   weight=pos_and_neg_mask)
        loss_xy = self.loss_xy(pred_map[..., :2], target_map[..., :2], weight=pos_mask)
        loss_wh = self.loss_wh(pred_map[..., 2:4], target_map[..., 2:4], weight=pos_mask)
        return loss_cls, loss_conf, loss_xy, loss_wh

    def loss(self, pred_maps: Sequence[Tensor], gt_bboxes: list[Tensor],
             gt_labels: list[Tensor], img_metas: list[dict],
             gt_bboxes_ignore: Optional[list[Tensor]] = None) -> dict[str, Any]:
        """Per-level losses ``loss_cls``, ``loss_conf``, ``loss_xy``, ``loss_wh``.

        Args:
            pred_maps (list[Tensor]): per level (B, A * (5 + C), H_l, W_l).
            gt_bboxes (list[Tensor]): per image (n_i, 4). gt_labels (list[Tensor]): (n_i,).
            img_metas (list[dict]): B meta dicts.
            gt_bboxes_ignore: unused (YOLOv3 has no ignore regions).
        """
        where = f'{type(self).__name__}.loss'
        if self.train_cfg is None:
            raise ValueError(f'{where}: the head was built without train_cfg (assigner), '
                             f'which training needs')
        if len(pred_maps) != self.num_levels:
            raise ValueError(f'{where}: got {len(pred_maps)} levels, expected {self.num_levels}')
        check_gt_labels(gt_labels, gt_bboxes, self.num_classes, where)
        num_imgs = len(img_metas)
        device = pred_maps[0].device
        featmap_sizes = [pred_map.shape[-2:] for pred_map in pred_maps]
        mlvl_anchors = self.prior_generator.grid_priors(featmap_sizes, device=device)
        anchor_list = [mlvl_anchors for _ in range(num_imgs)]
        responsible_flag_list = [self.prior_generator.responsible_flags(featmap_sizes, gt, device)
                                 for gt in gt_bboxes]
        target_maps_list, neg_maps_list = self.get_targets(anchor_list, responsible_flag_list,
                                                           gt_bboxes, gt_labels)
        losses_cls, losses_conf, losses_xy, losses_wh = multi_apply(
            self.loss_single, pred_maps, target_maps_list, neg_maps_list)
        return dict(loss_cls=losses_cls, loss_conf=losses_conf, loss_xy=losses_xy,
                    loss_wh=losses_wh)
