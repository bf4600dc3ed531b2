"""Test-time functions of RoI heads (MMDetection's ``BBoxTestMixin``/``MaskTestMixin``
as functions of the head): single-scale and augmented boxes and masks, and the
merging of augmentations."""
from __future__ import annotations

import warnings
from typing import Any, Optional, Sequence

import numpy as np
import torch
from torch import Tensor

from ...ops import multiclass_nms
from ...structures import bbox2roi, bbox_mapping, bbox_mapping_back

__all__ = ['simple_test_bboxes', 'simple_test_mask', 'aug_test_bboxes', 'aug_test_mask',
           'merge_aug_bboxes', 'merge_aug_masks']


def _empty_dets(ref: Tensor, head: Any, rcnn_test_cfg: Optional[dict]) -> tuple[Tensor, Tensor]:
    if rcnn_test_cfg is None:
        # the pre-NMS form: boxes and per-class scores
        return ref.new_zeros(0, 4), ref.new_zeros((0, head.bbox_head.fc_cls.out_features))
    return ref.new_zeros(0, 5), ref.new_zeros((0, ), dtype=torch.long)


def simple_test_bboxes(head: Any, x: Sequence[Tensor], img_metas: list[dict],
                       proposals: list[Tensor], rcnn_test_cfg: Optional[dict],
                       rescale: bool = False) -> tuple[list[Tensor], list[Tensor]]:
    """Detections of a batch from its proposals.

    Args:
        head: a RoI head with ``_bbox_forward`` and ``bbox_head``.
        x (tuple[Tensor]): per level (B, C, H_l, W_l).
        img_metas (list[dict]): B metas (img_shape, scale_factor).
        proposals (list[Tensor]): per image (n_i, 4 or 5).
        rcnn_test_cfg (dict | None): ``score_thr``, ``nms``, ``max_per_img``; None
            returns boxes and scores before NMS.
        rescale (bool): boxes in original-image pixels.

    Returns:
        tuple[list[Tensor], list[Tensor]]: per image det_bboxes (k, 5) and det_labels (k,).
    """
    rois = bbox2roi(proposals)
    if rois.shape[0] == 0:
        det_bbox, det_label = _empty_dets(rois, head, rcnn_test_cfg)
        return [det_bbox] * len(proposals), [det_label] * len(proposals)
    bbox_results = head._bbox_forward(x, rois)
    num_proposals_per_img = tuple(len(p) for p in proposals)
    rois = rois.split(num_proposals_per_img, 0)
    cls_score = bbox_results['cls_score'].split(num_proposals_per_img, 0)
    bbox_pred = bbox_results['bbox_pred']
    if bbox_pred is not None:
        bbox_pred = bbox_pred.split(num_proposals_per_img, 0)
    else:
        bbox_pred = (None, ) * len(proposals)
    det_bboxes, det_labels = [], []
    for i, meta in enumerate(img_metas):
        if rois[i].shape[0] == 0:
            det_bbox, det_label = _empty_dets(rois[i], head, rcnn_test_cfg)
        else:
            det_bbox, det_label = head.bbox_head.get_bboxes(
                rois[i], cls_score[i], bbox_pred[i], meta['img_shape'], meta['scale_factor'],
                rescale=rescale, cfg=rcnn_test_cfg)
        det_bboxes.append(det_bbox)
        det_labels.append(det_label)
    return det_bboxes, det_labels


def _scale_factor_array(scale_factor: Any) -> np.ndarray:
    if isinstance(scale_factor, float):
        warnings.warn('a float scale_factor is deprecated; pass [w, h, w, h]',
                      DeprecationWarning, stacklevel=3)
        return np.array([scale_factor] * 4, dtype=np.float32)
    if isinstance(scale_factor, Tensor):
        return scale_factor.detach().cpu().numpy().astype(np.float32)
    return np.asarray(scale_factor, dtype=np.float32)


def simple_test_mask(head: Any, x: Sequence[Tensor], img_metas: list[dict],
                     det_bboxes: list[Tensor], det_labels: list[Tensor],
                     rescale: bool = False) -> list[list[list[np.ndarray]]]:
    """Masks of a batch's detections.

    Args:
        det_bboxes (list[Tensor]): per image (k_i, 5), in original-image pixels when
            ``rescale`` (they are scaled back to the test image for the RoIs).
        det_labels (list[Tensor]): per image (k_i,).

    Returns:
        list[list[list[ndarray]]]: per image, per class, (H, W) bool masks.
    """
    num_classes = head.mask_head.num_classes
    num_imgs = len(det_bboxes)
    if all(det_bbox.shape[0] == 0 for det_bbox in det_bboxes):
        return [[[] for _ in range(num_classes)] for _ in range(num_imgs)]
    ori_shapes = [meta['ori_shape'] for meta in img_metas]
    scale_factors = [torch.from_numpy(_scale_factor_array(meta['scale_factor'])).to(
        det_bboxes[0].device) for meta in img_metas]
    _bboxes = [det_bboxes[i][:, :4] * scale_factors[i] if rescale else det_bboxes[i][:, :4]
               for i in range(num_imgs)]
    mask_rois = bbox2roi(_bboxes)
    mask_pred = head._mask_forward(x, mask_rois)['mask_pred']
    mask_preds = mask_pred.split([len(det_bbox) for det_bbox in det_bboxes], 0)
    segm_results = []
    for i in range(num_imgs):
        if det_bboxes[i].shape[0] == 0:
            segm_results.append([[] for _ in range(num_classes)])
        else:
            segm_results.append(head.mask_head.get_seg_masks(
                mask_preds[i], _bboxes[i], det_labels[i], head.test_cfg, ori_shapes[i],
                scale_factors[i], rescale))
    return segm_results


def merge_aug_bboxes(aug_bboxes: Sequence[Tensor], aug_scores: Optional[Sequence[Tensor]],
                     img_metas: Sequence[Sequence[dict]], rcnn_test_cfg: Any = None) -> Any:
    """Average the same RoIs' boxes (and scores) over augmentations.

    Args:
        aug_bboxes (list[Tensor]): per augmentation (n, 4 * k) boxes in its test image.
        aug_scores (list[Tensor] | None): per augmentation (n, C + 1).
        img_metas (list[list[dict]]): per augmentation the one-image meta list.
        rcnn_test_cfg: unused (MMDetection's signature).

    Returns:
        Tensor | tuple[Tensor, Tensor]: (n, 4 * k) boxes in the original image, and the
        mean scores when given.
    """
    recovered = []
    for bboxes, img_info in zip(aug_bboxes, img_metas):
        meta = img_info[0]
        recovered.append(bbox_mapping_back(bboxes, meta['img_shape'], meta['scale_factor'],
                                           meta['flip'], meta.get('flip_direction',
                                                                  'horizontal')))
    bboxes = torch.stack(recovered).mean(dim=0)
    if aug_scores is None:
        return bboxes
    return bboxes, torch.stack(list(aug_scores)).mean(dim=0)


def merge_aug_masks(aug_masks: Sequence[np.ndarray], img_metas: Sequence[Sequence[dict]],
                    rcnn_test_cfg: Any = None,
                    weights: Optional[Sequence[float]] = None) -> np.ndarray:
    """Un-flip each augmentation's (n, C, h, w) mask probabilities and average them."""
    recovered = []
    for mask, img_info in zip(aug_masks, img_metas):
        meta = img_info[0]
        if meta['flip']:
            direction = meta.get('flip_direction', 'horizontal')
            if direction == 'horizontal':
                mask = mask[:, :, :, ::-1]
            elif direction == 'vertical':
                mask = mask[:, :, ::-1, :]
            elif direction == 'diagonal':
                mask = mask[:, :, ::-1, ::-1]
            else:
                raise ValueError(f"merge_aug_masks: invalid flip_direction {direction!r}; "
                                 f"accepted: 'horizontal', 'vertical', 'diagonal'")
        recovered.append(mask)
    if weights is None:
        return np.mean(recovered, axis=0)
    return np.average(np.array(recovered), axis=0, weights=np.array(weights))


def aug_test_bboxes(head: Any, feats: Sequence[Sequence[Tensor]],
                    img_metas: Sequence[Sequence[dict]], proposal_list: list[Tensor],
                    rcnn_test_cfg: dict) -> tuple[Tensor, Tensor]:
    """Detections of one image over augmentations: the proposals (in original-image
    pixels, as ``aug_test_rpn`` merges them) are mapped into each augmentation, scored
    there, mapped back and averaged, then NMS.

    Returns:
        tuple: det_bboxes (k, 5) and det_labels (k,) in original-image pixels.
    """
    aug_bboxes, aug_scores = [], []
    for x, img_meta in zip(feats, img_metas):
        meta = img_meta[0]
        proposals = bbox_mapping(proposal_list[0][:, :4], meta['img_shape'],
                                 meta['scale_factor'], meta['flip'],
                                 meta.get('flip_direction', 'horizontal'))
        rois = bbox2roi([proposals])
        bbox_results = head._bbox_forward(x, rois)
        bboxes, scores = head.bbox_head.get_bboxes(
            rois, bbox_results['cls_score'], bbox_results['bbox_pred'], meta['img_shape'],
            meta['scale_factor'], rescale=False, cfg=None)
        aug_bboxes.append(bboxes)
        aug_scores.append(scores)
    merged_bboxes, merged_scores = merge_aug_bboxes(aug_bboxes, aug_scores, img_metas,
                                                    rcnn_test_cfg)
    if merged_bboxes.shape[0] == 0:
        return merged_bboxes.new_zeros(0, 5), merged_bboxes.new_zeros((0, ), dtype=torch.long)
    return multiclass_nms(merged_bboxes, merged_scores, rcnn_test_cfg['score_thr'],
                          rcnn_test_cfg['nms'], rcnn_test_cfg['max_per_img'])


def aug_test_mask(head: Any, feats: Sequence[Sequence[Tensor]],
                  img_metas: Sequence[Sequence[dict]], det_bboxes: Tensor,
                  det_labels: Tensor) -> list[list[np.ndarray]]:
    """Masks of one image's detections (original-image boxes), averaged over augmentations.

    Returns:
        list[list[ndarray]]: per class, (H, W) masks in the original image.
    """
    if det_bboxes.shape[0] == 0:
        return [[] for _ in range(head.mask_head.num_classes)]
    aug_masks = []
    for x, img_meta in zip(feats, img_metas):
        meta = img_meta[0]
        _bboxes = bbox_mapping(det_bboxes[:, :4], meta['img_shape'], meta['scale_factor'],
                               meta['flip'], meta.get('flip_direction', 'horizontal'))
        mask_pred = head._mask_forward(x, bbox2roi([_bboxes]))['mask_pred']
        aug_masks.append(mask_pred.sigmoid().detach().cpu().numpy())
    merged_masks = merge_aug_masks(aug_masks, img_metas, head.test_cfg)
    return head.mask_head.get_seg_masks(merged_masks, det_bboxes, det_labels, head.test_cfg,
                                        img_metas[0][0]['ori_shape'],
                                        scale_factor=det_bboxes.new_ones(4), rescale=False)
