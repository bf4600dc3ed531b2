"""``AnchorHead``: anchor-based dense head (RPN, RetinaNet, SSD, ...)."""
from __future__ import annotations

import warnings
from typing import Any, Optional, Sequence, Union

import torch
import torch.nn as nn
from torch import Tensor

from ...registry import HEADS
from ..builder import build_loss
from ..task_modules import build_assigner, build_bbox_coder, build_prior_generator, build_sampler
from ..task_modules.prior_generators import anchor_inside_flags, images_to_levels
from .base_dense_head import BaseDenseHead
from .dense_utils import multi_apply, unmap
from .input_checks import check_gt_labels, check_img_metas

#: Losses that weigh every anchor themselves: no sampling, avg_factor = positives.
_NO_SAMPLING_LOSSES = ('FocalLoss', 'GHMC', 'QualityFocalLoss')


def _type_name(cfg: Any) -> str:
    """'FocalLoss' for dict(type='mmdet.FocalLoss') (a class type gives its name)."""
    t = cfg.get('type', '') if isinstance(cfg, dict) else cfg
    t = getattr(t, '__name__', t)
    return str(t).split('.')[-1]


def _require(cfg: Any, key: str, where: str) -> Any:
    if key not in cfg:
        raise KeyError(f"{where}: train_cfg has no '{key}' (keys present: {sorted(cfg)})")
    return cfg[key]


@HEADS.register_module()
class AnchorHead(BaseDenseHead):
    """Anchor-based head: a 1x1 classifier ``conv_cls`` and regressor ``conv_reg``.

    Per level l with A anchors per cell: ``cls_score`` (B, A * C', H_l, W_l) with
    C' = C (sigmoid) or C + 1 (softmax, background last), and ``bbox_pred``
    (B, A * 4, H_l, W_l) deltas for ``bbox_coder``. Channel a * C' + c belongs to
    anchor a, class c, matching the prior generator's anchor order.

    Training: per image one assign + sample over the anchors of all levels
    (those inside the image grown by ``train_cfg.allowed_border``); targets are
    split back per level for the per-level losses, averaged over the number of
    positives (plus negatives when a sampler picks them).

    Args:
        num_classes (int): C, categories without background.
        in_channels (int): channels of the input features.
        feat_channels (int): hidden channels (used by subclasses).
        anchor_generator (dict): prior generator config.
        bbox_coder (dict): box coder config.
        reg_decoded_bbox (bool): regress decoded boxes (for IoU-type losses).
        loss_cls (dict): classification loss config; its ``use_sigmoid`` picks C'.
        loss_bbox (dict): regression loss config.
        train_cfg (dict, optional): ``assigner``, ``sampler`` (optional),
            ``allowed_border``, ``pos_weight``.
        test_cfg (dict, optional): ``nms_pre``, ``score_thr``, ``nms``, ``max_per_img``.
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    # dict defaults are MMDetection's (the public contract); builders copy them, never mutate
    def __init__(self, num_classes: int, in_channels: int, feat_channels: int = 256,
                 anchor_generator: dict = dict(type='AnchorGenerator', scales=[8, 16, 32],  # noqa: B006
                                               ratios=[0.5, 1.0, 2.0],
                                               strides=[4, 8, 16, 32, 64]),
                 bbox_coder: dict = dict(type='DeltaXYWHBBoxCoder', clip_border=True,  # noqa: B006
                                         target_means=(.0, .0, .0, .0),
                                         target_stds=(1.0, 1.0, 1.0, 1.0)),
                 reg_decoded_bbox: bool = False,
                 loss_cls: dict = dict(type='CrossEntropyLoss', use_sigmoid=True,  # noqa: B006
                                       loss_weight=1.0),
                 loss_bbox: dict = dict(type='SmoothL1Loss', beta=1.0 / 9.0,  # noqa: B006
                                        loss_weight=1.0),
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None,
                 init_cfg: Union[dict, list, None] = dict(type='Normal', layer='Conv2d',  # noqa: B006
                                                          std=0.01)):
        super().__init__(init_cfg)
        name = type(self).__name__
        if not isinstance(num_classes, int) or isinstance(num_classes, bool):
            raise TypeError(f'{name}: num_classes must be an int, but got {num_classes!r}')
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.feat_channels = feat_channels
        self.use_sigmoid_cls = loss_cls.get('use_sigmoid', False)
        self.cls_out_channels = num_classes if self.use_sigmoid_cls else num_classes + 1
        if self.cls_out_channels <= 0:
            raise ValueError(f'{name}: num_classes={num_classes} is too small')
        self.reg_decoded_bbox = reg_decoded_bbox
        self.bbox_coder = build_bbox_coder(bbox_coder)
        self.loss_cls = build_loss(loss_cls)
        self.loss_bbox = build_loss(loss_bbox)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.sampling = False
        if self.train_cfg:
            self.assigner = build_assigner(_require(train_cfg, 'assigner', name))
            sampler_cfg = train_cfg.get('sampler')
            if sampler_cfg is not None and _type_name(sampler_cfg) != 'PseudoSampler':
                if _type_name(loss_cls) in _NO_SAMPLING_LOSSES:
                    warnings.warn(f'{name}: train_cfg.sampler is ignored with '
                                  f'{_type_name(loss_cls)}, which weighs all anchors; delete '
                                  f'the sampler from the config', stacklevel=2)
                    sampler_cfg = None
                else:
                    self.sampling = True
            self.sampler = build_sampler(sampler_cfg or dict(type='PseudoSampler'), context=self)
        self.fp16_enabled = False
        self.prior_generator = build_prior_generator(anchor_generator)
        # every level has the same number of anchors per cell, except in SSD
        self.num_base_priors = self.prior_generator.num_base_priors[0]
        self._init_layers()

    @property
    def num_anchors(self) -> int:
        """Deprecated alias of ``num_base_priors``."""
        warnings.warn('num_anchors is deprecated, use num_base_priors', DeprecationWarning,
                      stacklevel=2)
        return self.prior_generator.num_base_priors[0]

    @property
    def anchor_generator(self) -> Any:
        """Deprecated alias of ``prior_generator``."""
        warnings.warn('anchor_generator is deprecated, use prior_generator', DeprecationWarning,
                      stacklevel=2)
        return self.prior_generator

    def _init_layers(self) -> None:
        self.conv_cls = nn.Conv2d(self.in_channels, self.num_base_priors * self.cls_out_channels, 1)
        self.conv_reg = nn.Conv2d(self.in_channels, self.num_base_priors * 4, 1)

    def forward_single(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(B, in_channels, H, W) -> cls_score (B, A * C', H, W), bbox_pred (B, A * 4, H, W)."""
        return self.conv_cls(x), self.conv_reg(x)

    def forward(self, feats: Sequence[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        """Per-level ``cls_scores`` and ``bbox_preds`` lists (see :meth:`forward_single`)."""
        return multi_apply(self.forward_single, feats)

    # -- targets -----------------------------------------------------------------------
    def get_anchors(self, featmap_sizes: Sequence, img_metas: list[dict],
                    device: Union[str, torch.device] = 'cuda') -> tuple[list, list]:
        """Anchors and their padding flags.

        Returns:
            tuple: ``anchor_list`` per image, per level (H_l * W_l * A, 4) (the same
            tensors for every image) and ``valid_flag_list`` per image, per level
            (H_l * W_l * A,) bool, False for cells outside the image's ``pad_shape``.
        """
        check_img_metas(img_metas, ('pad_shape', ), f'{type(self).__name__}.get_anchors')
        multi_level_anchors = self.prior_generator.grid_priors(featmap_sizes, device=device)
        anchor_list = [multi_level_anchors for _ in img_metas]
        valid_flag_list = [self.prior_generator.valid_flags(featmap_sizes, meta['pad_shape'],
                                                             device)
                           for meta in img_metas]
        return anchor_list, valid_flag_list

    def _get_targets_single(self, flat_anchors: Tensor, valid_flags: Tensor, gt_bboxes: Tensor,
                            gt_bboxes_ignore: Optional[Tensor], gt_labels: Optional[Tensor],
                            img_meta: dict, label_channels: int = 1,
                            unmap_outputs: bool = True) -> tuple:
        """Targets of one image over its N anchors of all levels.

        Returns:
            tuple: labels (N,) long (C = background), label_weights (N,),
            bbox_targets (N, 4), bbox_weights (N, 4), pos_inds, neg_inds (indices
            among the inside anchors) and the SamplingResult. Images whose anchors
            all lie outside the allowed border get zero weights everywhere.
        """
        inside_flags = anchor_inside_flags(flat_anchors, valid_flags, img_meta['img_shape'][:2],
                                           self.train_cfg['allowed_border'])
        anchors = flat_anchors[inside_flags, :]
        assign_result = self.assigner.assign(anchors, gt_bboxes, gt_bboxes_ignore,
                                             None if self.sampling else gt_labels)
        sampling_result = self.sampler.sample(assign_result, anchors, gt_bboxes)

        num_valid_anchors = anchors.shape[0]
        bbox_targets = torch.zeros_like(anchors)
        bbox_weights = torch.zeros_like(anchors)
        labels = anchors.new_full((num_valid_anchors, ), self.num_classes, dtype=torch.long)
        label_weights = anchors.new_zeros(num_valid_anchors, dtype=torch.float)
        pos_inds = sampling_result.pos_inds
        neg_inds = sampling_result.neg_inds
        if len(pos_inds) > 0:
            if self.reg_decoded_bbox:
                pos_bbox_targets = sampling_result.pos_gt_bboxes
            else:
                pos_bbox_targets = self.bbox_coder.encode(sampling_result.pos_bboxes,
                                                          sampling_result.pos_gt_bboxes)
            bbox_targets[pos_inds, :] = pos_bbox_targets.to(bbox_targets.dtype)
            bbox_weights[pos_inds, :] = 1.0
            if gt_labels is None:
                # only RPN has no labels: the foreground is class 0 (since MMDetection v2.5)
                labels[pos_inds] = 0
            else:
                labels[pos_inds] = gt_labels[sampling_result.pos_assigned_gt_inds]
            pos_weight = self.train_cfg['pos_weight']
            label_weights[pos_inds] = 1.0 if pos_weight <= 0 else pos_weight
        if len(neg_inds) > 0:
            label_weights[neg_inds] = 1.0

        if unmap_outputs:
            num_total_anchors = flat_anchors.size(0)
            labels = unmap(labels, num_total_anchors, inside_flags, fill=self.num_classes)
            label_weights = unmap(label_weights, num_total_anchors, inside_flags)
            bbox_targets = unmap(bbox_targets, num_total_anchors, inside_flags)
            bbox_weights = unmap(bbox_weights, num_total_anchors, inside_flags)
        return (labels, label_weights, bbox_targets, bbox_weights, pos_inds, neg_inds,
                sampling_result)

    def get_targets(self, anchor_list: list, valid_flag_list: list, gt_bboxes_list: list,
                    img_metas: list[dict], gt_bboxes_ignore_list: Optional[list] = None,
                    gt_labels_list: Optional[list] = None, label_channels: int = 1,
                    unmap_outputs: bool = True, return_sampling_results: bool = False) -> tuple:
        """Targets of a batch, split per level.

        Args:
            anchor_list (list[list[Tensor]]): per image, per level (N_l, 4).
            valid_flag_list (list[list[Tensor]]): per image, per level (N_l,).
            gt_bboxes_list (list[Tensor]): per image (n_i, 4).
            img_metas (list[dict]): B meta dicts.
            gt_bboxes_ignore_list (list[Tensor], optional): per image (k_i, 4).
            gt_labels_list (list[Tensor], optional): per image (n_i,).

        Returns:
            tuple: ``labels_list``, ``label_weights_list``, ``bbox_targets_list``,
            ``bbox_weights_list`` (per level (B, N_l[, 4])), ``num_total_pos``,
            ``num_total_neg`` (each image counts at least 1), then the sampling
            results if asked, then per-level splits of any extra per-image
            outputs of ``_get_targets_single`` (for subclasses).
        """
        num_imgs = len(img_metas)
        if not len(anchor_list) == len(valid_flag_list) == num_imgs:
            raise ValueError(f'{type(self).__name__}.get_targets: {len(anchor_list)} anchor '
                             f'lists and {len(valid_flag_list)} flag lists for {num_imgs} images')
        num_level_anchors = [anchors.size(0) for anchors in anchor_list[0]]
        concat_anchor_list = [torch.cat(a) for a in anchor_list]
        concat_valid_flag_list = [torch.cat(f) for f in valid_flag_list]
        if gt_bboxes_ignore_list is None:
            gt_bboxes_ignore_list = [None] * num_imgs
        if gt_labels_list is None:
            gt_labels_list = [None] * num_imgs
        results = multi_apply(self._get_targets_single, concat_anchor_list,
                              concat_valid_flag_list, gt_bboxes_list, gt_bboxes_ignore_list,
                              gt_labels_list, img_metas, label_channels=label_channels,
                              unmap_outputs=unmap_outputs)
        (all_labels, all_label_weights, all_bbox_targets, all_bbox_weights, pos_inds_list,
         neg_inds_list, sampling_results_list) = results[:7]
        rest_results = list(results[7:])
        # an image without positives still counts 1, so the average never divides by 0
        num_total_pos = sum(max(inds.numel(), 1) for inds in pos_inds_list)
        num_total_neg = sum(max(inds.numel(), 1) for inds in neg_inds_list)
        res = (images_to_levels(all_labels, num_level_anchors),
               images_to_levels(all_label_weights, num_level_anchors),
               images_to_levels(all_bbox_targets, num_level_anchors),
               images_to_levels(all_bbox_weights, num_level_anchors),
               num_total_pos, num_total_neg)
        if return_sampling_results:
            res = res + (sampling_results_list, )
        return res + tuple(images_to_levels(r, num_level_anchors) for r in rest_results)

    # -- losses ------------------------------------------------------------------------
    def loss_single(self, cls_score: Tensor, bbox_pred: Tensor, anchors: Tensor, labels: Tensor,
                    label_weights: Tensor, bbox_targets: Tensor, bbox_weights: Tensor,
                    num_total_samples: float) -> tuple[Tensor, Tensor]:
        """Losses of one level.

        Args:
            cls_score (Tensor): (B, A * C', H, W). bbox_pred (Tensor): (B, A * 4, H, W).
            anchors (Tensor): (B, H * W * A, 4). labels, label_weights (Tensor): (B, H * W * A).
            bbox_targets, bbox_weights (Tensor): (B, H * W * A, 4).
            num_total_samples (float): the average factor of both losses.
        """
        labels = labels.reshape(-1)
        label_weights = label_weights.reshape(-1)
        cls_score = cls_score.permute(0, 2, 3, 1).reshape(-1, self.cls_out_channels)
        loss_cls = self.loss_cls(cls_score, labels, label_weights, avg_factor=num_total_samples)
        bbox_targets = bbox_targets.reshape(-1, 4)
        bbox_weights = bbox_weights.reshape(-1, 4)
        bbox_pred = bbox_pred.permute(0, 2, 3, 1).reshape(-1, 4)
        if self.reg_decoded_bbox:
            # IoU-type losses compare absolute boxes: decode the predicted deltas
            bbox_pred = self.bbox_coder.decode(anchors.reshape(-1, 4), bbox_pred)
        loss_bbox = self.loss_bbox(bbox_pred, bbox_targets, bbox_weights,
                                   avg_factor=num_total_samples)
        return loss_cls, loss_bbox

    def loss(self, cls_scores: list[Tensor], bbox_preds: list[Tensor], gt_bboxes: list[Tensor],
             gt_labels: Optional[list[Tensor]], img_metas: list[dict],
             gt_bboxes_ignore: Optional[list[Tensor]] = None) -> dict:
        """Per-level losses ``loss_cls`` and ``loss_bbox`` (lists of L scalars).

        Args:
            cls_scores (list[Tensor]): per level (B, A * C', H_l, W_l).
            bbox_preds (list[Tensor]): per level (B, A * 4, H_l, W_l).
            gt_bboxes (list[Tensor]): per image (n_i, 4). gt_labels (list[Tensor] | None): (n_i,).
            img_metas (list[dict]): B meta dicts with ``img_shape`` and ``pad_shape``.
            gt_bboxes_ignore (list[Tensor], optional): per image (k_i, 4).
        """
        where = f'{type(self).__name__}.loss'
        if self.train_cfg is None:
            raise ValueError(f'{where}: the head was built without train_cfg (assigner, '
                             f'allowed_border, pos_weight), which training needs')
        featmap_sizes = [featmap.size()[-2:] for featmap in cls_scores]
        if len(featmap_sizes) != self.prior_generator.num_levels:
            raise ValueError(f'{where}: got {len(featmap_sizes)} feature levels, but the anchor '
                             f'generator has {self.prior_generator.num_levels} strides')
        check_img_metas(img_metas, ('img_shape', 'pad_shape'), where,
                        num_imgs=cls_scores[0].size(0))
        for key in ('allowed_border', 'pos_weight'):
            _require(self.train_cfg, key, where)
        if gt_labels is not None:
            check_gt_labels(gt_labels, gt_bboxes, self.num_classes, where)
        device = cls_scores[0].device
        anchor_list, valid_flag_list = self.get_anchors(featmap_sizes, img_metas, device=device)
        label_channels = self.cls_out_channels if self.use_sigmoid_cls else 1
        (labels_list, label_weights_list, bbox_targets_list, bbox_weights_list, num_total_pos,
         num_total_neg) = self.get_targets(anchor_list, valid_flag_list, gt_bboxes, img_metas,
                                           gt_bboxes_ignore_list=gt_bboxes_ignore,
                                           gt_labels_list=gt_labels,
                                           label_channels=label_channels)
        num_total_samples = num_total_pos + num_total_neg if self.sampling else num_total_pos
        num_level_anchors = [anchors.size(0) for anchors in anchor_list[0]]
        all_anchor_list = images_to_levels([torch.cat(a) for a in anchor_list], num_level_anchors)
        losses_cls, losses_bbox = multi_apply(
            self.loss_single, cls_scores, bbox_preds, all_anchor_list, labels_list,
            label_weights_list, bbox_targets_list, bbox_weights_list,
            num_total_samples=num_total_samples)
        return dict(loss_cls=losses_cls, loss_bbox=losses_bbox)

    def aug_test(self, feats: Sequence[Sequence[Tensor]], img_metas: Sequence[Sequence[dict]],
                 rescale: bool = False) -> list:
        """One image under several augmentations: [(det_bboxes (n, 5), det_labels (n,))]."""
        return self.aug_test_bboxes(feats, img_metas, rescale=rescale)
