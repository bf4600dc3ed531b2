"""``BaseDenseHead``: the training entry and the shared post-processing of dense heads."""
from __future__ import annotations

import copy
from abc import ABCMeta, abstractmethod
from typing import Any, Optional, Sequence, Union

import torch
from torch import Tensor

from ...ops import batched_nms
from ..layers import BaseModule, constant_init
from . import dense_test
from .dense_utils import filter_chw_scores_and_topk, filter_scores_and_topk, select_single_mlvl
from .input_checks import check_gt_bboxes, check_img_metas


def _cfg_get(cfg: Any, key: str, where: str) -> Any:
    """``cfg[key]`` with a message naming the head and the keys present."""
    if cfg is None:
        raise ValueError(f'{where}: no test_cfg was given (pass cfg= or build the head '
                         f'with test_cfg)')
    if key not in cfg:
        raise KeyError(f"{where}: test_cfg has no '{key}' (keys present: {sorted(cfg)})")
    return cfg[key]


class BaseDenseHead(BaseModule, metaclass=ABCMeta):
    """Base of dense (per-location) heads: RPN, RetinaNet, FCOS, ...

    A subclass defines ``forward(feats) -> (cls_scores, bbox_preds[, ...])`` as
    per-level lists of (B, *, H_l, W_l) tensors, ``loss(...)``, and the attributes
    that :meth:`get_bboxes` reads: ``prior_generator``, ``bbox_coder``,
    ``cls_out_channels``, ``use_sigmoid_cls``, ``test_cfg``.

    Detection results of a batch are, per image, a tuple ``(det_bboxes (n, 5)
    [x1, y1, x2, y2, score], det_labels (n,))``.

    Args:
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    def __init__(self, init_cfg: Union[dict, list, None] = None):
        super().__init__(init_cfg)

    def init_weights(self) -> None:
        """Initialise from ``init_cfg``; offsets of deformable convs start at zero."""
        super().init_weights()
        # an init_cfg matching every Conv2d must not perturb the offsets (DCN starts as a conv)
        for m in self.modules():
            if hasattr(m, 'conv_offset'):
                constant_init(m.conv_offset, 0)

    @abstractmethod
    def loss(self, *args: Any, **kwargs: Any) -> dict:
        """Losses of the head (dict of named tensors or per-level lists of tensors)."""

    # -- training ----------------------------------------------------------------------
    def forward_train(self, x: Sequence[Tensor], img_metas: list[dict], gt_bboxes: list[Tensor],
                      gt_labels: Optional[list[Tensor]] = None,
                      gt_bboxes_ignore: Optional[list[Tensor]] = None,
                      proposal_cfg: Optional[dict] = None, **kwargs: Any) -> Any:
        """Losses (and, with ``proposal_cfg``, proposals) of a batch.

        Args:
            x (tuple[Tensor]): per level (B, C, H_l, W_l) features.
            img_metas (list[dict]): B meta dicts (img_shape, pad_shape, scale_factor, ...).
            gt_bboxes (list[Tensor]): per image (n_i, 4) boxes (x1, y1, x2, y2).
            gt_labels (list[Tensor], optional): per image (n_i,) labels; None for RPN.
            gt_bboxes_ignore (list[Tensor], optional): per image (k_i, 4) ignored boxes.
            proposal_cfg (dict, optional): when given, proposals are returned too.

        Returns:
            dict[str, Tensor | list[Tensor]] | tuple[dict, list]: losses, and
            the per-image results of :meth:`get_bboxes` when ``proposal_cfg`` is given.
        """
        where = f'{type(self).__name__}.forward_train'
        # the keys each head needs are checked where they are read (loss, get_bboxes)
        check_img_metas(img_metas, (), where, num_imgs=x[0].size(0))
        check_gt_bboxes(gt_bboxes, len(img_metas), where)
        if gt_bboxes_ignore is not None:
            check_gt_bboxes(gt_bboxes_ignore, len(img_metas), where, name='gt_bboxes_ignore')
        outs = self(x)
        if gt_labels is None:
            loss_inputs = outs + (gt_bboxes, img_metas)
        else:
            loss_inputs = outs + (gt_bboxes, gt_labels, img_metas)
        losses = self.loss(*loss_inputs, gt_bboxes_ignore=gt_bboxes_ignore)
        if proposal_cfg is None:
            return losses
        proposal_list = self.get_bboxes(*outs, img_metas=img_metas, cfg=proposal_cfg)
        return losses, proposal_list

    # -- inference ---------------------------------------------------------------------
    def get_bboxes(self, cls_scores: list[Tensor], bbox_preds: list[Tensor],
                   score_factors: Optional[list[Tensor]] = None,
                   img_metas: Optional[list[dict]] = None, cfg: Optional[dict] = None,
                   rescale: bool = False, with_nms: bool = True, **kwargs: Any) -> list:
        """Decode a batch of head outputs into detections.

        Args:
            cls_scores (list[Tensor]): per level (B, A * C', H_l, W_l) logits.
            bbox_preds (list[Tensor]): per level (B, A * 4, H_l, W_l) deltas.
            score_factors (list[Tensor], optional): per level (B, A, H_l, W_l)
                logits multiplied (after sigmoid) into the scores (e.g. centerness).
            img_metas (list[dict]): B meta dicts with ``img_shape`` and ``scale_factor``.
            cfg (dict, optional): ``nms_pre``, ``score_thr``, ``nms``, ``max_per_img``;
                default ``self.test_cfg``.
            rescale (bool): boxes in original-image coordinates (divided by scale_factor).
            with_nms (bool): False returns the candidates before NMS.

        Returns:
            list[tuple]: per image ``(det_bboxes (n, 5), det_labels (n,))``, or
            with ``with_nms=False`` ``(bboxes (m, 4), scores (m,), labels (m,))``.
        """
        where = f'{type(self).__name__}.get_bboxes'
        if len(cls_scores) != len(bbox_preds):
            raise ValueError(f'{where}: {len(cls_scores)} levels of cls_scores but '
                             f'{len(bbox_preds)} levels of bbox_preds')
        with_score_factors = score_factors is not None
        if with_score_factors and len(score_factors) != len(cls_scores):
            raise ValueError(f'{where}: {len(score_factors)} levels of score_factors for '
                             f'{len(cls_scores)} levels of cls_scores')
        check_img_metas(img_metas, ('img_shape', 'scale_factor'), where,
                        num_imgs=cls_scores[0].size(0))
        num_levels = len(cls_scores)
        featmap_sizes = [cls_scores[i].shape[-2:] for i in range(num_levels)]
        mlvl_priors = self.prior_generator.grid_priors(
            featmap_sizes, dtype=cls_scores[0].dtype, device=cls_scores[0].device)

        result_list = []
        for img_id, img_meta in enumerate(img_metas):
            cls_score_list = select_single_mlvl(cls_scores, img_id)
            bbox_pred_list = select_single_mlvl(bbox_preds, img_id)
            score_factor_list = (select_single_mlvl(score_factors, img_id) if with_score_factors
                                 else [None] * num_levels)
            result_list.append(self._get_bboxes_single(
                cls_score_list, bbox_pred_list, score_factor_list, mlvl_priors, img_meta, cfg,
                rescale, with_nms, **kwargs))
        return result_list

    def _get_bboxes_single(self, cls_score_list: list[Tensor], bbox_pred_list: list[Tensor],
                           score_factor_list: list[Optional[Tensor]], mlvl_priors: list[Tensor],
                           img_meta: dict, cfg: Optional[dict], rescale: bool = False,
                           with_nms: bool = True, **kwargs: Any) -> tuple:
        """Decode one image: per level top ``nms_pre`` (prior, class) pairs above
        ``score_thr``, decoded against their priors and clipped to ``img_shape``.

        Args:
            cls_score_list (list[Tensor]): per level (A * C', H_l, W_l).
            bbox_pred_list (list[Tensor]): per level (A * 4, H_l, W_l).
            score_factor_list (list[Tensor | None]): per level (A, H_l, W_l) or None.
            mlvl_priors (list[Tensor]): per level (H_l * W_l * A, 4) priors.
            img_meta (dict): the image's meta.
            cfg (dict, optional): test config; default ``self.test_cfg``.

        Returns:
            tuple: see :meth:`get_bboxes`.
        """
        with_score_factors = score_factor_list[0] is not None
        cfg = copy.deepcopy(self.test_cfg if cfg is None else cfg)
        where = f'{type(self).__name__}.get_bboxes'
        score_thr = cfg.get('score_thr', 0) if cfg is not None else 0
        nms_pre = cfg.get('nms_pre', -1) if cfg is not None else -1
        img_shape = img_meta['img_shape']

        mlvl_bboxes, mlvl_scores, mlvl_labels = [], [], []
        mlvl_score_factors: Optional[list] = [] if with_score_factors else None
        for cls_score, bbox_pred, score_factor, priors in zip(
                cls_score_list, bbox_pred_list, score_factor_list, mlvl_priors):
            if cls_score.shape[-2:] != bbox_pred.shape[-2:]:
                raise ValueError(f'{where}: cls_score {tuple(cls_score.shape)} and bbox_pred '
                                 f'{tuple(bbox_pred.shape)} differ in spatial size')
            bbox_pred = bbox_pred.permute(1, 2, 0).reshape(-1, 4)
            per_prior = dict(bbox_pred=bbox_pred, priors=priors)
            if self.use_sigmoid_cls:
                # filtered in the conv's (A * C, H, W) layout: no copy of the whole map
                scores, labels, keep_idxs, filtered = filter_chw_scores_and_topk(
                    cls_score.sigmoid(), self.cls_out_channels, score_thr, nms_pre, per_prior)
            else:
                # foreground classes are [0, C), the background is the last column
                cls_score = cls_score.permute(1, 2, 0).reshape(-1, self.cls_out_channels)
                scores, labels, keep_idxs, filtered = filter_scores_and_topk(
                    cls_score.softmax(-1)[:, :-1], score_thr, nms_pre, per_prior)
            bboxes = self.bbox_coder.decode(filtered['priors'], filtered['bbox_pred'],
                                            max_shape=img_shape)
            mlvl_bboxes.append(bboxes)
            mlvl_scores.append(scores)
            mlvl_labels.append(labels)
            if mlvl_score_factors is not None:
                factor = score_factor.permute(1, 2, 0).reshape(-1).sigmoid()
                mlvl_score_factors.append(factor[keep_idxs])
        return self._bbox_post_process(mlvl_scores, mlvl_labels, mlvl_bboxes,
                                       img_meta['scale_factor'], cfg, rescale=rescale,
                                       with_nms=with_nms, mlvl_score_factors=mlvl_score_factors,
                                       **kwargs)

    def _bbox_post_process(self, mlvl_scores: list[Tensor], mlvl_labels: list[Tensor],
                           mlvl_bboxes: list[Tensor], scale_factor: Any, cfg: dict,
                           rescale: bool = False, with_nms: bool = True,
                           mlvl_score_factors: Optional[list[Tensor]] = None,
                           **kwargs: Any) -> tuple:
        """Concatenate the levels, rescale, weight by score factors, then class-aware NMS.

        Args:
            mlvl_scores, mlvl_labels (list[Tensor]): per level (m_l,).
            mlvl_bboxes (list[Tensor]): per level (m_l, 4).
            scale_factor (ndarray | float): [w, h, w, h] of the test image's resize.
            cfg (dict): ``nms`` and ``max_per_img`` (when ``with_nms``).

        Returns:
            tuple: see :meth:`get_bboxes`.
        """
        if not len(mlvl_scores) == len(mlvl_bboxes) == len(mlvl_labels):
            raise ValueError(f'{type(self).__name__}._bbox_post_process: levels of scores '
                             f'({len(mlvl_scores)}), boxes ({len(mlvl_bboxes)}) and labels '
                             f'({len(mlvl_labels)}) differ')
        bboxes = torch.cat(mlvl_bboxes)
        if rescale:
            bboxes = bboxes / bboxes.new_tensor(scale_factor)
        scores = torch.cat(mlvl_scores)
        labels = torch.cat(mlvl_labels)
        if mlvl_score_factors is not None:
            scores = scores * torch.cat(mlvl_score_factors)
        if not with_nms:
            return bboxes, scores, labels
        where = f'{type(self).__name__}.get_bboxes'
        nms_cfg = _cfg_get(cfg, 'nms', where)
        max_per_img = _cfg_get(cfg, 'max_per_img', where)
        if bboxes.numel() == 0:
            return torch.cat([bboxes, scores[:, None]], -1), labels
        det_bboxes, keep_idxs = batched_nms(bboxes, scores, labels, nms_cfg)
        return det_bboxes[:max_per_img], labels[keep_idxs][:max_per_img]

    # -- test-time entry points (see dense_test) ---------------------------------------
    def simple_test(self, feats: Sequence[Tensor], img_metas: list[dict],
                    rescale: bool = False) -> list:
        """Per image ``(det_bboxes (n, 5), det_labels (n,))`` without augmentation."""
        return self.simple_test_bboxes(feats, img_metas, rescale=rescale)

    def simple_test_bboxes(self, feats: Sequence[Tensor], img_metas: list[dict],
                           rescale: bool = False) -> list:
        """See :func:`detkit.models.dense_heads.dense_test.simple_test_bboxes`."""
        return dense_test.simple_test_bboxes(self, feats, img_metas, rescale=rescale)

    def aug_test_bboxes(self, feats: Sequence[Sequence[Tensor]],
                        img_metas: Sequence[Sequence[dict]], rescale: bool = False) -> list:
        """See :func:`detkit.models.dense_heads.dense_test.aug_test_bboxes`."""
        return dense_test.aug_test_bboxes(self, feats, img_metas, rescale=rescale)

    def merge_aug_bboxes(self, aug_bboxes: Sequence[Tensor], aug_scores: Optional[Sequence[Tensor]],
                         img_metas: Sequence[Sequence[dict]]) -> Any:
        """See :func:`detkit.models.dense_heads.dense_test.merge_aug_bboxes`."""
        return dense_test.merge_aug_bboxes(aug_bboxes, aug_scores, img_metas)

    def simple_test_rpn(self, x: Sequence[Tensor], img_metas: list[dict]) -> list[Tensor]:
        """See :func:`detkit.models.dense_heads.dense_test.simple_test_rpn`."""
        return dense_test.simple_test_rpn(self, x, img_metas)

    def aug_test_rpn(self, feats: Sequence[Sequence[Tensor]],
                     img_metas: Sequence[Sequence[dict]]) -> list[Tensor]:
        """See :func:`detkit.models.dense_heads.dense_test.aug_test_rpn`."""
        return dense_test.aug_test_rpn(self, feats, img_metas)
