"""Test-time augmentation of :class:`CascadeRoIHead` (plain functions, as roi_test.py)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor

from ...ops import multiclass_nms
from ...structures import bbox2result, bbox2roi, bbox_mapping
from .roi_test import merge_aug_bboxes, merge_aug_masks


def scale_tensor(scale_factor: Any, ref: Tensor) -> Tensor:
    """(4,) [w, h, w, h] scale of a test image as a tensor like ``ref``."""
    if isinstance(scale_factor, Tensor):
        return scale_factor.to(ref)
    if isinstance(scale_factor, float):
        scale_factor = [scale_factor] * 4
    return ref.new_tensor(np.asarray(scale_factor, dtype=np.float32))


def cascade_aug_test(head: Any, x: Sequence[Sequence[Tensor]], proposal_list: list[Tensor],
                     img_metas: Sequence[Sequence[dict]], rescale: bool = False) -> list:
    """Results of one image over augmentations (x and img_metas per augmentation) of a
    :class:`CascadeRoIHead` ``head``.

    Each augmentation runs the cascade on the (original-image) proposals mapped into
    it; boxes and scores are mapped back, averaged, then NMS. Without ``rescale`` the
    boxes are scaled to the first augmentation (masks stay in the original image).
    """
    num_classes = head.bbox_head[-1].num_classes
    ref = proposal_list[0]
    if ref.shape[0] == 0:
        bbox_result = bbox2result(ref.new_zeros(0, 5), ref.new_zeros((0, ), dtype=torch.long),
                                  num_classes)
        if head.with_mask:
            return [(bbox_result, [[] for _ in range(head.mask_head[-1].num_classes)])]
        return [bbox_result]
    aug_bboxes, aug_scores = [], []
    for feats, img_meta in zip(x, img_metas):
        meta = img_meta[0]
        proposals = bbox_mapping(ref[:, :4], meta['img_shape'], meta['scale_factor'],
                                 meta['flip'], meta.get('flip_direction', 'horizontal'))
        rois = bbox2roi([proposals])
        rois_list, scores, bbox_preds = head._cascade_rois(feats, rois, [meta],
                                                           (rois.size(0), ))
        bboxes, scores = head.bbox_head[-1].get_bboxes(
            rois_list[0], scores[0], bbox_preds[0], meta['img_shape'], meta['scale_factor'],
            rescale=False, cfg=None)
        aug_bboxes.append(bboxes)
        aug_scores.append(scores)
    merged_bboxes, merged_scores = merge_aug_bboxes(aug_bboxes, aug_scores, img_metas,
                                                    head.test_cfg)
    det_bboxes, det_labels = multiclass_nms(merged_bboxes, merged_scores,
                                            head.test_cfg['score_thr'], head.test_cfg['nms'],
                                            head.test_cfg['max_per_img'])
    _det_bboxes = det_bboxes
    if not rescale:
        _det_bboxes = det_bboxes.clone()
        _det_bboxes[:, :4] *= scale_tensor(img_metas[0][0]['scale_factor'], det_bboxes)
    bbox_result = bbox2result(_det_bboxes, det_labels, num_classes)
    if not head.with_mask:
        return [bbox_result]
    return [(bbox_result, _aug_test_mask(head, x, img_metas, det_bboxes, det_labels))]


def _aug_test_mask(head: Any, x: Sequence[Sequence[Tensor]], img_metas: Sequence[Sequence[dict]],
                   det_bboxes: Tensor, det_labels: Tensor) -> list:
    """Per class masks of original-image detections, averaged over augmentations and
    stages (flipped augmentations un-flipped first)."""
    if det_bboxes.shape[0] == 0:
        return [[] for _ in range(head.mask_head[-1].num_classes)]
    aug_masks, aug_metas = [], []
    for feats, img_meta in zip(x, img_metas):
        meta = img_meta[0]
        _bboxes = bbox_mapping(det_bboxes[:, :4], meta['img_shape'], meta['scale_factor'],
                               meta['flip'], meta.get('flip_direction', 'horizontal'))
        mask_rois = bbox2roi([_bboxes])
        for stage in range(head.num_stages):
            mask_pred = head._mask_forward(stage, feats, mask_rois)['mask_pred']
            aug_masks.append(mask_pred.sigmoid().cpu().numpy())
            aug_metas.append(img_meta)
    merged = merge_aug_masks(aug_masks, aug_metas, head.test_cfg)
    return head.mask_head[-1].get_seg_masks(merged, det_bboxes, det_labels, head.test_cfg,
                                            img_metas[0][0]['ori_shape'],
                                            scale_factor=det_bboxes.new_ones(4),
                                            rescale=False)
