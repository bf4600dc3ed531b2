"""Test-time functions of dense heads (MMDetection 2.x's ``BBoxTestMixin`` /
``RPNTestMixin`` as plain functions taking the head).

``BaseDenseHead`` exposes them as methods of the same names, so heads written
for MMDetection 2.x that call ``self.simple_test_bboxes(...)`` keep working.
"""
from __future__ import annotations

import copy
import inspect
from typing import Any, Optional, Sequence

import torch
from torch import Tensor

from ...ops import batched_nms, nms
from ...structures import bbox_mapping_back
from .input_checks import check_img_metas

__all__ = ['simple_test_bboxes', 'aug_test_bboxes', 'merge_aug_bboxes', 'simple_test_rpn',
           'aug_test_rpn', 'merge_aug_proposals']

_AUG_META_KEYS = ('img_shape', 'scale_factor', 'flip', 'flip_direction')


def simple_test_bboxes(head: Any, feats: Sequence[Tensor], img_metas: list[dict],
                       rescale: bool = False) -> list:
    """Detections of a batch without augmentation.

    Args:
        head: a dense head (``forward`` + ``get_bboxes``).
        feats (tuple[Tensor]): per level (B, C, H_l, W_l).
        img_metas (list[dict]): B meta dicts.
        rescale (bool): boxes in original-image coordinates.

    Returns:
        list[tuple[Tensor, Tensor]]: per image ``det_bboxes`` (n, 5) and ``det_labels`` (n,).
    """
    outs = head.forward(feats)
    return head.get_bboxes(*outs, img_metas=img_metas, rescale=rescale)


def merge_aug_bboxes(aug_bboxes: Sequence[Tensor], aug_scores: Optional[Sequence[Tensor]],
                     img_metas: Sequence[Sequence[dict]]) -> Any:
    """Map every augmentation's boxes back to the original image and concatenate them.

    Args:
        aug_bboxes (list[Tensor]): per augmentation (n_a, 4) boxes in its test image.
        aug_scores (list[Tensor] | None): per augmentation (n_a,) or (n_a, C) scores.
        img_metas (list[list[dict]]): per augmentation, the (one-image) meta list.

    Returns:
        Tensor | tuple[Tensor, Tensor]: (sum n_a, 4) boxes, and the concatenated
        scores when ``aug_scores`` is given.
    """
    recovered = []
    for a, (bboxes, img_info) in enumerate(zip(aug_bboxes, img_metas)):
        check_img_metas(img_info[:1], _AUG_META_KEYS, f'merge_aug_bboxes (augmentation {a})')
        meta = img_info[0]
        recovered.append(bbox_mapping_back(bboxes, meta['img_shape'], meta['scale_factor'],
                                           meta['flip'], meta['flip_direction']))
    bboxes = torch.cat(recovered, dim=0)
    if aug_scores is None:
        return bboxes
    return bboxes, torch.cat(list(aug_scores), dim=0)


def aug_test_bboxes(head: Any, feats: Sequence[Sequence[Tensor]],
                    img_metas: Sequence[Sequence[dict]], rescale: bool = False) -> list:
    """Detections of one image under several augmentations, merged then NMS-ed.

    Every augmentation is decoded without NMS, mapped back to the original image,
    and one class-aware NMS runs on the union (``head.test_cfg.nms``, then
    ``max_per_img``).

    Args:
        head: a dense head whose ``get_bboxes`` and ``_get_bboxes_single`` take ``with_nms``.
        feats (list[tuple[Tensor]]): per augmentation, per level (1, C, H_l, W_l).
        img_metas (list[list[dict]]): per augmentation, a list with the image's meta.
        rescale (bool): False maps the boxes to the first augmentation's scale.

    Returns:
        list[tuple[Tensor, Tensor]]: one (det_bboxes (n, 5), det_labels (n,)).
    """
    for fn in (head.get_bboxes, head._get_bboxes_single):
        if 'with_nms' not in inspect.signature(fn).parameters:
            raise TypeError(f'{type(head).__name__}.{fn.__name__} does not take with_nms, '
                            f'which test-time augmentation needs')
    cfg = head.test_cfg
    if cfg is None:
        raise ValueError(f'{type(head).__name__}: test_cfg is needed for test-time augmentation')
    aug_bboxes, aug_scores, aug_labels = [], [], []
    for x, img_meta in zip(feats, img_metas):
        outs = head.forward(x)
        bbox_outputs = head.get_bboxes(*outs, img_metas=img_meta, cfg=cfg, rescale=False,
                                       with_nms=False)[0]
        aug_bboxes.append(bbox_outputs[0])
        aug_scores.append(bbox_outputs[1])
        if len(bbox_outputs) >= 3:
            aug_labels.append(bbox_outputs[2])
    merged_bboxes, merged_scores = merge_aug_bboxes(aug_bboxes, aug_scores, img_metas)
    merged_labels = torch.cat(aug_labels, dim=0) if aug_labels else None
    if merged_labels is None:
        raise TypeError(f'{type(head).__name__}.get_bboxes(with_nms=False) must return '
                        f'(bboxes, scores, labels) per image for test-time augmentation')

    if merged_bboxes.numel() == 0:
        det_bboxes = torch.cat([merged_bboxes, merged_scores[:, None]], -1)
        return [(det_bboxes, merged_labels)]
    det_bboxes, keep_idxs = batched_nms(merged_bboxes, merged_scores, merged_labels, cfg['nms'])
    det_bboxes = det_bboxes[:cfg['max_per_img']]
    det_labels = merged_labels[keep_idxs][:cfg['max_per_img']]
    if not rescale:
        det_bboxes = det_bboxes.clone()
        det_bboxes[:, :4] *= det_bboxes.new_tensor(img_metas[0][0]['scale_factor'])
    return [(det_bboxes, det_labels)]


def simple_test_rpn(head: Any, x: Sequence[Tensor], img_metas: list[dict]) -> list[Tensor]:
    """Proposals of a batch: per image (n, 5) [x1, y1, x2, y2, score] in test-image pixels."""
    rpn_outs = head(x)
    return head.get_bboxes(*rpn_outs, img_metas=img_metas)


def merge_aug_proposals(aug_proposals: Sequence[Tensor], img_metas: Sequence[dict],
                        cfg: dict) -> Tensor:
    """Merge one image's proposals from several augmentations.

    Args:
        aug_proposals (list[Tensor]): per augmentation (n_a, 5) proposals.
        img_metas (list[dict]): per augmentation, the image's meta.
        cfg (dict): ``nms`` (with ``iou_threshold``) and ``max_per_img``.

    Returns:
        Tensor: (k, 5) proposals in original-image coordinates, best first,
        k <= ``max_per_img``.
    """
    cfg = copy.deepcopy(cfg)
    if 'nms' not in cfg or 'max_per_img' not in cfg:
        raise KeyError(f"merge_aug_proposals: the rpn test_cfg needs 'nms' and 'max_per_img', "
                       f"but has keys {sorted(cfg)}")
    recovered = []
    for a, (proposals, meta) in enumerate(zip(aug_proposals, img_metas)):
        check_img_metas([meta], _AUG_META_KEYS, f'merge_aug_proposals (augmentation {a})')
        _proposals = proposals.clone()
        _proposals[:, :4] = bbox_mapping_back(_proposals[:, :4], meta['img_shape'],
                                              meta['scale_factor'], meta['flip'],
                                              meta['flip_direction'])
        recovered.append(_proposals)
    proposals = torch.cat(recovered, dim=0)
    merged, _ = nms(proposals[:, :4].contiguous(), proposals[:, -1].contiguous(),
                    cfg['nms']['iou_threshold'])
    order = merged[:, 4].sort(dim=0, descending=True, stable=True)[1]
    return merged[order[:min(cfg['max_per_img'], merged.shape[0])], :]


def aug_test_rpn(head: Any, feats: Sequence[Sequence[Tensor]],
                 img_metas: Sequence[Sequence[dict]]) -> list[Tensor]:
    """Proposals of a batch under several augmentations, merged per image.

    Args:
        feats (list[tuple[Tensor]]): per augmentation, per level (B, C, H_l, W_l).
        img_metas (list[list[dict]]): per augmentation, B meta dicts.

    Returns:
        list[Tensor]: per image (k, 5) proposals in original-image coordinates.
    """
    samples_per_gpu = len(img_metas[0])
    aug_proposals: list[list[Tensor]] = [[] for _ in range(samples_per_gpu)]
    for x, img_meta in zip(feats, img_metas):
        for i, proposals in enumerate(simple_test_rpn(head, x, img_meta)):
            aug_proposals[i].append(proposals)
    # per image, the metas of its augmentations, in the order of its proposals
    aug_img_metas = [[img_metas[j][i] for j in range(len(img_metas))]
                     for i in range(samples_per_gpu)]
    return [merge_aug_proposals(p, m, head.test_cfg) for p, m in zip(aug_proposals, aug_img_metas)]
