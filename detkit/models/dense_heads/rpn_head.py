"""``RPNHead``: the region proposal network of Faster R-CNN (Ren et al., 2015)."""
from __future__ import annotations

import copy
from typing import Any, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ...ops import batched_nms
from ...registry import HEADS
from ..layers import ConvModule
from .anchor_head import AnchorHead
from .base_dense_head import _cfg_get
from .dense_utils import stable_topk


@HEADS.register_module()
class RPNHead(AnchorHead):
    """A shared 3x3 conv ``rpn_conv`` (+ ReLU), then 1x1 ``rpn_cls`` (A objectness
    logits, or A * 2 with a softmax loss) and ``rpn_reg`` (A * 4 deltas).

    Proposals: per level the ``nms_pre`` best anchors, decoded and clipped, boxes
    not larger than ``min_bbox_size`` dropped, NMS within each level (levels
    never suppress each other), then the ``max_per_img`` best.

    Args:
        in_channels (int): channels of the input features.
        init_cfg (dict | list[dict], optional): initialisation config.
        num_convs (int): convs in ``rpn_conv`` (> 1 makes it a Sequential of ConvModules).
        **kwargs: the other arguments of :class:`AnchorHead` (num_classes is 1).
    """

    def __init__(self, in_channels: int,
                 init_cfg: Union[dict, list, None] = dict(type='Normal', layer='Conv2d',  # noqa: B006
                                                          std=0.01),
                 num_convs: int = 1, **kwargs: Any):
        if 'num_classes' in kwargs:
            num_classes = kwargs.pop('num_classes')
            if num_classes != 1:
                raise ValueError(f'RPNHead: num_classes is always 1 (objectness), '
                                 f'but got {num_classes}')
        self.num_convs = num_convs
        super().__init__(1, in_channels, init_cfg=init_cfg, **kwargs)

    def _init_layers(self) -> None:
        if self.num_convs > 1:
            rpn_convs = []
            for i in range(self.num_convs):
                in_channels = self.in_channels if i == 0 else self.feat_channels
                # not in place: the ReLU after rpn_conv would overwrite a tensor autograd keeps
                rpn_convs.append(ConvModule(in_channels, self.feat_channels, 3, padding=1,
                                            inplace=False))
            self.rpn_conv = nn.Sequential(*rpn_convs)
        else:
            self.rpn_conv = nn.Conv2d(self.in_channels, self.feat_channels, 3, padding=1)
        self.rpn_cls = nn.Conv2d(self.feat_channels,
                                 self.num_base_priors * self.cls_out_channels, 1)
        self.rpn_reg = nn.Conv2d(self.feat_channels, self.num_base_priors * 4, 1)

    def forward_single(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(B, C_in, H, W) -> rpn_cls_score (B, A * C', H, W), rpn_bbox_pred (B, A * 4, H, W)."""
        x = F.relu(self.rpn_conv(x), inplace=True)
        return self.rpn_cls(x), self.rpn_reg(x)

    def loss(self, cls_scores: list[Tensor], bbox_preds: list[Tensor], gt_bboxes: list[Tensor],
             img_metas: list[dict], gt_bboxes_ignore: Optional[list[Tensor]] = None) -> dict:
        """Per-level ``loss_rpn_cls`` and ``loss_rpn_bbox`` (lists of L scalars)."""
        losses = super().loss(cls_scores, bbox_preds, gt_bboxes, None, img_metas,
                              gt_bboxes_ignore=gt_bboxes_ignore)
        return dict(loss_rpn_cls=losses['loss_cls'], loss_rpn_bbox=losses['loss_bbox'])

    def _get_bboxes_single(self, cls_score_list: list[Tensor], bbox_pred_list: list[Tensor],
                           score_factor_list: list, mlvl_anchors: list[Tensor], img_meta: dict,
                           cfg: Optional[dict], rescale: bool = False, with_nms: bool = True,
                           **kwargs: Any) -> Tensor:
        """Proposals of one image: (k, 5) [x1, y1, x2, y2, score] in test-image pixels.

        ``rescale`` is not applied here (as in MMDetection): the RPN detector
        divides by ``scale_factor`` itself.

        Args:
            cls_score_list (list[Tensor]): per level (A * C', H_l, W_l).
            bbox_pred_list (list[Tensor]): per level (A * 4, H_l, W_l).
            mlvl_anchors (list[Tensor]): per level (H_l * W_l * A, 4).
            img_meta (dict): the image's meta (``img_shape``).
            cfg (dict, optional): ``nms_pre``, ``min_bbox_size``, ``nms``, ``max_per_img``.
        """
        cfg = copy.deepcopy(self.test_cfg if cfg is None else cfg)
        where = f'{type(self).__name__}.get_bboxes'
        img_shape = img_meta['img_shape']
        if cfg is None:
            _cfg_get(cfg, 'nms', where)  # raises: proposals need a test config
        nms_pre = cfg.get('nms_pre', -1)
        level_ids, mlvl_scores, mlvl_bbox_preds, mlvl_valid_anchors = [], [], [], []
        for level_idx, (rpn_cls_score, rpn_bbox_pred, anchors) in enumerate(
                zip(cls_score_list, bbox_pred_list, mlvl_anchors)):
            if rpn_cls_score.shape[-2:] != rpn_bbox_pred.shape[-2:]:
                raise ValueError(f'{where}: cls_score {tuple(rpn_cls_score.shape)} and bbox_pred '
                                 f'{tuple(rpn_bbox_pred.shape)} differ in spatial size')
            rpn_cls_score = rpn_cls_score.permute(1, 2, 0)
            if self.use_sigmoid_cls:
                scores = rpn_cls_score.reshape(-1).sigmoid()
            else:
                # column 0 is the foreground (since MMDetection v2.5), column 1 the background
                scores = rpn_cls_score.reshape(-1, 2).softmax(dim=1)[:, 0]
            rpn_bbox_pred = rpn_bbox_pred.permute(1, 2, 0).reshape(-1, 4)
            if 0 < nms_pre < scores.shape[0]:
                scores, topk_inds = stable_topk(scores, nms_pre)
                rpn_bbox_pred = rpn_bbox_pred[topk_inds, :]
                anchors = anchors[topk_inds, :]
            mlvl_scores.append(scores)
            mlvl_bbox_preds.append(rpn_bbox_pred)
            mlvl_valid_anchors.append(anchors)
            level_ids.append(scores.new_full((scores.size(0), ), level_idx, dtype=torch.long))
        return self._bbox_post_process(mlvl_scores, mlvl_bbox_preds, mlvl_valid_anchors,
                                       level_ids, cfg, img_shape)

    def _bbox_post_process(self, mlvl_scores: list[Tensor], mlvl_bboxes: list[Tensor],
                           mlvl_valid_anchors: list[Tensor], level_ids: list[Tensor],
                           cfg: dict, img_shape: Any, **kwargs: Any) -> Tensor:
        """Decode, drop small boxes, NMS per level (level ids as batched-NMS classes).

        Args:
            mlvl_scores (list[Tensor]): per level (m_l,) objectness.
            mlvl_bboxes (list[Tensor]): per level (m_l, 4) deltas.
            mlvl_valid_anchors (list[Tensor]): per level (m_l, 4) anchors.
            level_ids (list[Tensor]): per level (m_l,) the level index.
            cfg (dict): ``min_bbox_size``, ``nms``, ``max_per_img``.
            img_shape (tuple): (H, W[, C]) of the test image, for clipping.

        Returns:
            Tensor: (k, 5) proposals, best first.
        """
        where = f'{type(self).__name__}.get_bboxes'
        scores = torch.cat(mlvl_scores)
        anchors = torch.cat(mlvl_valid_anchors)
        rpn_bbox_pred = torch.cat(mlvl_bboxes)
        proposals = self.bbox_coder.decode(anchors, rpn_bbox_pred, max_shape=img_shape)
        ids = torch.cat(level_ids)
        min_bbox_size = _cfg_get(cfg, 'min_bbox_size', where)
        if min_bbox_size >= 0:
            w = proposals[:, 2] - proposals[:, 0]
            h = proposals[:, 3] - proposals[:, 1]
            valid_mask = (w > min_bbox_size) & (h > min_bbox_size)
            proposals, scores, ids = proposals[valid_mask], scores[valid_mask], ids[valid_mask]
        if proposals.numel() == 0:
            return proposals.new_zeros(0, 5)
        dets, _ = batched_nms(proposals, scores, ids, _cfg_get(cfg, 'nms', where))
        return dets[:_cfg_get(cfg, 'max_per_img', where)]
