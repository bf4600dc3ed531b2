"""``BBoxHead``: the simplest RoI box head — (optional avg pool), one linear layer each
for classification and box regression."""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
from torch.nn.modules.utils import _pair

from ....ops import multiclass_nms
from ....registry import HEADS
from ...builder import build_loss
from ...layers import BaseModule, build_linear_layer
from ...losses import accuracy
from ...task_modules import build_bbox_coder


def _cfg_get(cfg: Any, key: str, where: str) -> Any:
    if cfg is None or key not in cfg:
        raise KeyError(f'{where}: the config has no {key!r} (keys present: '
                       f'{", ".join(sorted(cfg)) if cfg else "none"})')
    return cfg[key]


@HEADS.register_module()
class BBoxHead(BaseModule):
    """Classify RoIs into C + 1 classes (background last) and regress their boxes.

    Args:
        with_avg_pool (bool): average-pool the (C_in, h, w) RoI features first.
        with_cls (bool): build ``fc_cls``.
        with_reg (bool): build ``fc_reg``.
        roi_feat_size (int | tuple): (h, w) of the RoI features.
        in_channels (int): C_in.
        num_classes (int): C, foreground classes.
        bbox_coder (dict): box coder config (deltas normalised by (0.1, 0.1, 0.2, 0.2)).
        reg_class_agnostic (bool): one box (4) instead of one per class (4 * C).
        reg_decoded_bbox (bool): compute the box loss on decoded boxes (for IoU losses).
        reg_predictor_cfg (dict): config of ``fc_reg`` (a LINEAR_LAYERS type).
        cls_predictor_cfg (dict): config of ``fc_cls``.
        loss_cls (dict): classification loss config.
        loss_bbox (dict): regression loss config.
        init_cfg (dict | list[dict], optional): default Normal(0.01) for ``fc_cls`` and
            Normal(0.001) for ``fc_reg``.
    """

    def __init__(self, with_avg_pool: bool = False, with_cls: bool = True,
                 with_reg: bool = True, roi_feat_size: Union[int, Sequence[int]] = 7,
                 in_channels: int = 256, num_classes: int = 80,
                 bbox_coder: dict = dict(type='DeltaXYWHBBoxCoder', clip_border=True,  # noqa: B006
                                         target_means=[0., 0., 0., 0.],
                                         target_stds=[0.1, 0.1, 0.2, 0.2]),
                 reg_class_agnostic: bool = False, reg_decoded_bbox: bool = False,
                 reg_predictor_cfg: dict = dict(type='Linear'),  # noqa: B006
                 cls_predictor_cfg: dict = dict(type='Linear'),  # noqa: B006
                 loss_cls: dict = dict(type='CrossEntropyLoss', use_sigmoid=False,  # noqa: B006
                                       loss_weight=1.0),
                 loss_bbox: dict = dict(type='SmoothL1Loss', beta=1.0,  # noqa: B006
                                        loss_weight=1.0),
                 init_cfg: Union[dict, list, None] = None):
        super().__init__(init_cfg)
        if not (with_cls or with_reg):
            raise ValueError(f'{type(self).__name__}: with_cls and with_reg cannot both be False')
        self.with_avg_pool = with_avg_pool
        self.with_cls = with_cls
        self.with_reg = with_reg
        self.roi_feat_size = _pair(roi_feat_size)
        self.roi_feat_area = self.roi_feat_size[0] * self.roi_feat_size[1]
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.reg_class_agnostic = reg_class_agnostic
        self.reg_decoded_bbox = reg_decoded_bbox
        self.reg_predictor_cfg = reg_predictor_cfg
        self.cls_predictor_cfg = cls_predictor_cfg
        self.fp16_enabled = False

        self.bbox_coder = build_bbox_coder(bbox_coder)
        self.loss_cls = build_loss(loss_cls)
        self.loss_bbox = build_loss(loss_bbox)

        in_channels = self.in_channels
        if self.with_avg_pool:
            self.avg_pool = nn.AvgPool2d(self.roi_feat_size)
        else:
            in_channels *= self.roi_feat_area
        if self.with_cls:
            self.fc_cls = build_linear_layer(self.cls_predictor_cfg, in_features=in_channels,
                                             out_features=self.cls_channels)
        if self.with_reg:
            self.fc_reg = build_linear_layer(self.reg_predictor_cfg, in_features=in_channels,
                                             out_features=self.reg_channels)
        self.debug_imgs = None
        if init_cfg is None:
            self.init_cfg = []
            if self.with_cls:
                self.init_cfg += [dict(type='Normal', std=0.01, override=dict(name='fc_cls'))]
            if self.with_reg:
                self.init_cfg += [dict(type='Normal', std=0.001, override=dict(name='fc_reg'))]

    # a loss such as SeesawLoss may bring its own channels, activation and accuracy
    @property
    def custom_cls_channels(self) -> bool:
        return getattr(self.loss_cls, 'custom_cls_channels', False)

    @property
    def custom_activation(self) -> bool:
        return getattr(self.loss_cls, 'custom_activation', False)

    @property
    def custom_accuracy(self) -> bool:
        return getattr(self.loss_cls, 'custom_accuracy', False)

    @property
    def cls_channels(self) -> int:
        """int: outputs of ``fc_cls`` (C + 1 unless the loss says otherwise)."""
        if self.custom_cls_channels:
            return self.loss_cls.get_cls_channels(self.num_classes)
        return self.num_classes + 1

    @property
    def reg_channels(self) -> int:
        """int: outputs of ``fc_reg``: 4, or 4 * C per class."""
        return 4 if self.reg_class_agnostic else 4 * self.num_classes

    def forward(self, x: Tensor) -> tuple[Optional[Tensor], Optional[Tensor]]:
        """(N, C_in, h, w) RoI features -> cls_score (N, C + 1), bbox_pred (N, 4 or 4 * C)."""
        if self.with_avg_pool:
            # AvgPool2d rejects empty batches on some devices; the mean is the same
            x = x.mean(dim=(-1, -2)) if x.numel() == 0 else self.avg_pool(x).flatten(1)
        else:
            x = x.flatten(1)
        cls_score = self.fc_cls(x) if self.with_cls else None
        bbox_pred = self.fc_reg(x) if self.with_reg else None
        return cls_score, bbox_pred

    # -- training ----------------------------------------------------------------------
    def _get_target_single(self, pos_bboxes: Tensor, neg_bboxes: Tensor, pos_gt_bboxes: Tensor,
                           pos_gt_labels: Tensor, cfg: Any) -> tuple[Tensor, ...]:
        """Targets of one image: positives first, then negatives.

        Args:
            pos_bboxes (Tensor): (P, 4). neg_bboxes (Tensor): (M, 4).
            pos_gt_bboxes (Tensor): (P, 4) their matched gts. pos_gt_labels (Tensor): (P,).
            cfg (dict): ``pos_weight`` (<= 0 means 1).

        Returns:
            tuple: labels (P + M,) int64 (C for negatives), label_weights (P + M,),
            bbox_targets (P + M, 4), bbox_weights (P + M, 4).
        """
        num_pos, num_neg = pos_bboxes.size(0), neg_bboxes.size(0)
        num_samples = num_pos + num_neg
        labels = pos_bboxes.new_full((num_samples, ), self.num_classes, dtype=torch.long)
        label_weights = pos_bboxes.new_zeros(num_samples)
        bbox_targets = pos_bboxes.new_zeros(num_samples, 4)
        bbox_weights = pos_bboxes.new_zeros(num_samples, 4)
        if num_pos > 0:
            labels[:num_pos] = pos_gt_labels
            pos_weight = _cfg_get(cfg, 'pos_weight', f'{type(self).__name__}.get_targets')
            label_weights[:num_pos] = 1.0 if pos_weight <= 0 else pos_weight
            bbox_targets[:num_pos] = (pos_gt_bboxes if self.reg_decoded_bbox
                                      else self.bbox_coder.encode(pos_bboxes, pos_gt_bboxes))
            bbox_weights[:num_pos] = 1
        if num_neg > 0:
            label_weights[-num_neg:] = 1.0
        return labels, label_weights, bbox_targets, bbox_weights

    def get_targets(self, sampling_results: Sequence[Any], gt_bboxes: Sequence[Tensor],
                    gt_labels: Sequence[Tensor], rcnn_train_cfg: Any,
                    concat: bool = True) -> tuple:
        """Targets of the sampled RoIs of a batch, in ``bbox2roi`` order.

        Args:
            sampling_results (list[SamplingResult]): per image.
            gt_bboxes, gt_labels: per image gts (unused: the sampling results carry
                the matched gts; kept for MMDetection's signature).
            rcnn_train_cfg (dict): ``pos_weight``.
            concat (bool): concatenate the images' targets.

        Returns:
            tuple: labels (R,), label_weights (R,), bbox_targets (R, 4), bbox_weights (R, 4)
            with R = sum over images of P_i + M_i (or per-image lists if not ``concat``).
        """
        per_image = [self._get_target_single(res.pos_bboxes, res.neg_bboxes, res.pos_gt_bboxes,
                                             res.pos_gt_labels, rcnn_train_cfg)
                     for res in sampling_results]
        labels, label_weights, bbox_targets, bbox_weights = (list(t) for t in zip(*per_image))
        if concat:
            return (torch.cat(labels, 0), torch.cat(label_weights, 0),
                    torch.cat(bbox_targets, 0), torch.cat(bbox_weights, 0))
        return labels, label_weights, bbox_targets, bbox_weights

    def loss(self, cls_score: Optional[Tensor], bbox_pred: Optional[Tensor], rois: Tensor,
             labels: Tensor, label_weights: Tensor, bbox_targets: Tensor, bbox_weights: Tensor,
             reduction_override: Optional[str] = None) -> dict:
        """``loss_cls``, ``acc`` and ``loss_bbox``.

        Args:
            cls_score (Tensor): (R, C + 1). bbox_pred (Tensor): (R, 4 or 4 * C).
            rois (Tensor): (R, 5). labels, label_weights, bbox_targets, bbox_weights:
                from :meth:`get_targets`.

        Returns:
            dict[str, Tensor]: the box loss averages over all R sampled RoIs (as
            MMDetection), and is 0 with a graph when no RoI is positive.
        """
        losses = dict()
        if cls_score is not None:
            avg_factor = max(torch.sum(label_weights > 0).float().item(), 1.)
            if cls_score.numel() > 0:
                loss_cls_ = self.loss_cls(cls_score, labels, label_weights,
                                          avg_factor=avg_factor,
                                          reduction_override=reduction_override)
                if isinstance(loss_cls_, dict):
                    losses.update(loss_cls_)
                else:
                    losses['loss_cls'] = loss_cls_
                if self.custom_activation:
                    losses.update(self.loss_cls.get_accuracy(cls_score, labels))
                else:
                    losses['acc'] = accuracy(cls_score, labels)
        if bbox_pred is not None:
            pos_inds = (labels >= 0) & (labels < self.num_classes)
            if pos_inds.any():
                if self.reg_decoded_bbox:
                    bbox_pred = self.bbox_coder.decode(rois[:, 1:], bbox_pred)
                if self.reg_class_agnostic:
                    pos_bbox_pred = bbox_pred.view(bbox_pred.size(0), 4)[pos_inds]
                else:
                    pos_bbox_pred = bbox_pred.view(bbox_pred.size(0), -1, 4)[
                        pos_inds, labels[pos_inds]]
                losses['loss_bbox'] = self.loss_bbox(
                    pos_bbox_pred, bbox_targets[pos_inds], bbox_weights[pos_inds],
                    avg_factor=bbox_targets.size(0), reduction_override=reduction_override)
            else:
                # zero, yet connected to fc_reg so that every parameter gets a gradient
                losses['loss_bbox'] = bbox_pred[pos_inds].sum()
        return losses

    # -- inference ---------------------------------------------------------------------
    def get_bboxes(self, rois: Tensor, cls_score: Optional[Tensor], bbox_pred: Optional[Tensor],
                   img_shape: Optional[Sequence[int]], scale_factor: Any, rescale: bool = False,
                   cfg: Optional[dict] = None) -> tuple[Tensor, Tensor]:
        """Detections of one image.

        Args:
            rois (Tensor): (N, 5) [batch_ind, x1, y1, x2, y2].
            cls_score (Tensor): (N, C + 1) logits.
            bbox_pred (Tensor | None): (N, 4 or 4 * C) deltas; None keeps the RoIs.
            img_shape (tuple): (H, W[, C]) for clipping.
            scale_factor (ndarray | Tensor): (4,) [w, h, w, h] scales of the test image.
            rescale (bool): divide boxes by ``scale_factor`` (original-image pixels).
            cfg (dict, optional): ``score_thr``, ``nms``, ``max_per_img``; None
                returns all boxes and scores before NMS.

        Returns:
            tuple: with ``cfg``: det_bboxes (k, 5) and det_labels (k,); without:
            bboxes (N, 4 or 4 * C) and scores (N, C + 1).
        """
        if self.custom_cls_channels:
            scores = self.loss_cls.get_activation(cls_score)
        else:
            scores = F.softmax(cls_score, dim=-1) if cls_score is not None else None
        if bbox_pred is not None:
            bboxes = self.bbox_coder.decode(rois[..., 1:], bbox_pred, max_shape=img_shape)
        else:
            bboxes = rois[:, 1:].clone()
            if img_shape is not None:
                bboxes[:, [0, 2]] = bboxes[:, [0, 2]].clamp(min=0, max=img_shape[1])
                bboxes[:, [1, 3]] = bboxes[:, [1, 3]].clamp(min=0, max=img_shape[0])
        if rescale and bboxes.size(0) > 0:
            scale = bboxes.new_tensor(np.asarray(scale_factor, dtype=np.float32)
                                      if not isinstance(scale_factor, Tensor) else scale_factor)
            bboxes = (bboxes.view(bboxes.size(0), -1, 4) / scale).view(bboxes.size(0), -1)
        if cfg is None:
            return bboxes, scores
        where = f'{type(self).__name__}.get_bboxes'
        return multiclass_nms(bboxes, scores, _cfg_get(cfg, 'score_thr', where),
                              _cfg_get(cfg, 'nms', where), _cfg_get(cfg, 'max_per_img', where))

    def regress_by_class(self, rois: Tensor, label: Tensor, bbox_pred: Tensor,
                         img_meta: dict) -> Tensor:
        """Apply each RoI's regression of class ``label``.

        Args:
            rois (Tensor): (N, 4) boxes or (N, 5) RoIs.
            label (Tensor): (N,) class of each RoI (C selects nothing sensible;
                callers replace background labels first).
            bbox_pred (Tensor): (N, 4 * C) or (N, 4) deltas.
            img_meta (dict): ``img_shape`` for clipping.

        Returns:
            Tensor: boxes of the shape of ``rois``.
        """
        if rois.size(1) not in (4, 5):
            raise ValueError(f'{type(self).__name__}.regress_by_class: rois must be (N, 4) or '
                             f'(N, 5), but got {tuple(rois.shape)}')
        if not self.reg_class_agnostic:
            inds = (label * 4)[:, None] + torch.arange(4, device=label.device)
            bbox_pred = torch.gather(bbox_pred, 1, inds)
        if bbox_pred.size(1) != 4:
            raise ValueError(f'{type(self).__name__}.regress_by_class: expected 4 deltas per '
                             f'RoI, but got {tuple(bbox_pred.shape)}')
        max_shape = img_meta['img_shape']
        if rois.size(1) == 4:
            return self.bbox_coder.decode(rois, bbox_pred, max_shape=max_shape)
        bboxes = self.bbox_coder.decode(rois[:, 1:], bbox_pred, max_shape=max_shape)
        return torch.cat((rois[:, [0]], bboxes), dim=1)

    def refine_bboxes(self, rois: Tensor, labels: Tensor, bbox_preds: Tensor,
                      pos_is_gts: Sequence[Tensor], img_metas: list[dict]) -> list[Tensor]:
        """Regressed RoIs of a batch, without the gts added as proposals (cascade stages).

        Args:
            rois (Tensor): (R, 5) sampled RoIs of the batch.
            labels (Tensor): (R,) class of each RoI (background already replaced).
            bbox_preds (Tensor): (R, 4 * C) or (R, 4).
            pos_is_gts (list[Tensor]): per image (P_i,) flags of gt positives.
            img_metas (list[dict]): B metas.

        Returns:
            list[Tensor]: per image (n_i, 4) refined boxes.
        """
        img_ids = rois[:, 0].long().unique(sorted=True)
        if img_ids.numel() > len(img_metas):
            raise ValueError(f'{type(self).__name__}.refine_bboxes: RoIs of {img_ids.numel()} '
                             f'images but {len(img_metas)} image metas')
        bboxes_list = []
        for i in range(len(img_metas)):
            inds = torch.nonzero(rois[:, 0] == i, as_tuple=False).squeeze(dim=1)
            bboxes = self.regress_by_class(rois[inds, 1:], labels[inds], bbox_preds[inds],
                                           img_metas[i])
            # samples are ordered positives first, and gts lead the positives
            keep = torch.ones(inds.numel(), dtype=torch.bool, device=rois.device)
            keep[:len(pos_is_gts[i])] = ~pos_is_gts[i].bool()
            bboxes_list.append(bboxes[keep])
        return bboxes_list
