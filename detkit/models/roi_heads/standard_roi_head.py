"""``StandardRoIHead``: the box (and mask) branch of Faster / Mask R-CNN."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import torch
from torch import Tensor

from ...registry import HEADS
from ...structures import bbox2result, bbox2roi
from ..builder import build_head, build_roi_extractor
from ..task_modules import build_assigner, build_sampler
from . import roi_test
from .base_roi_head import BaseRoIHead


@HEADS.register_module()
class StandardRoIHead(BaseRoIHead):
    """Assign and sample proposals per image, pool their features, classify and
    regress them; with a mask head, segment the positives (training) or the
    detections (test). See :class:`BaseRoIHead` for the arguments.
    """

    def init_assigner_sampler(self) -> None:
        """``bbox_assigner``/``bbox_sampler`` from ``train_cfg`` (None when testing only)."""
        self.bbox_assigner = None
        self.bbox_sampler = None
        if self.train_cfg:
            for key in ('assigner', 'sampler'):
                if key not in self.train_cfg:
                    raise KeyError(f"{type(self).__name__}: train_cfg (model.train_cfg.rcnn) "
                                   f"has no {key!r} (keys present: "
                                   f"{', '.join(sorted(self.train_cfg))})")
            self.bbox_assigner = build_assigner(self.train_cfg['assigner'])
            self.bbox_sampler = build_sampler(self.train_cfg['sampler'], context=self)

    def init_bbox_head(self, bbox_roi_extractor: dict, bbox_head: dict) -> None:
        """Build the box branch."""
        if bbox_roi_extractor is None:
            raise ValueError(f'{type(self).__name__}: bbox_head needs a bbox_roi_extractor')
        self.bbox_roi_extractor = build_roi_extractor(bbox_roi_extractor)
        self.bbox_head = build_head(bbox_head)

    def init_mask_head(self, mask_roi_extractor: Optional[dict], mask_head: dict) -> None:
        """Build the mask branch; without ``mask_roi_extractor`` it reuses the box one."""
        if mask_roi_extractor is not None:
            self.mask_roi_extractor = build_roi_extractor(mask_roi_extractor)
            self.share_roi_extractor = False
        else:
            self.share_roi_extractor = True
            self.mask_roi_extractor = self.bbox_roi_extractor
        self.mask_head = build_head(mask_head)
        bbox_head = getattr(self, 'bbox_head', None)
        mask_classes = getattr(self.mask_head, 'num_classes', None)
        bbox_classes = getattr(bbox_head, 'num_classes', None)
        class_agnostic = getattr(self.mask_head, 'class_agnostic', False)
        if bbox_head is not None and mask_classes is not None and not class_agnostic \
                and mask_classes != bbox_classes:
            # a mask is picked by the box head's label: the class sets must be the same
            raise ValueError(f'{type(self).__name__}: mask_head.num_classes ({mask_classes}, '
                             f'{type(self.mask_head).__name__}) must equal '
                             f'bbox_head.num_classes ({bbox_classes}, '
                             f'{type(bbox_head).__name__}); set both to the number of '
                             f'classes of the dataset')

    def forward_dummy(self, x: Sequence[Tensor], proposals: Tensor) -> tuple:
        """Raw outputs for (n, 4) proposals of image 0: (cls_score, bbox_pred[, mask_pred])."""
        outs: tuple = ()
        rois = bbox2roi([proposals])
        if self.with_bbox:
            bbox_results = self._bbox_forward(x, rois)
            outs = outs + (bbox_results['cls_score'], bbox_results['bbox_pred'])
        if self.with_mask:
            outs = outs + (self._mask_forward(x, rois[:100])['mask_pred'], )
        return outs

    # -- training ----------------------------------------------------------------------
    def forward_train(self, x: Sequence[Tensor], img_metas: list[dict],
                      proposal_list: list[Tensor], gt_bboxes: list[Tensor],
                      gt_labels: list[Tensor], gt_bboxes_ignore: Optional[list[Tensor]] = None,
                      gt_masks: Optional[list[Any]] = None, **kwargs: Any) -> dict:
        """Losses ``loss_cls``, ``acc``, ``loss_bbox`` (and ``loss_mask``) of a batch.

        Args:
            x (tuple[Tensor]): per level (B, C, H_l, W_l).
            img_metas (list[dict]): B metas.
            proposal_list (list[Tensor]): per image (n_i, 4 or 5) proposals.
            gt_bboxes (list[Tensor]): per image (g_i, 4); g_i may be 0.
            gt_labels (list[Tensor]): per image (g_i,).
            gt_bboxes_ignore (list[Tensor], optional): per image (k_i, 4).
            gt_masks (list[BitmapMasks | PolygonMasks], optional): per image g_i masks.
        """
        name = type(self).__name__
        if self.bbox_assigner is None:
            raise RuntimeError(f'{name}.forward_train: the head was built without a train_cfg '
                               f'(model.train_cfg.rcnn); it can only be tested')
        if len(proposal_list) != len(img_metas):
            raise ValueError(f'{name}.forward_train: {len(proposal_list)} proposal tensors for '
                             f'{len(img_metas)} images')
        if self.with_mask and gt_masks is None:
            raise ValueError(f'{name}.forward_train: the mask head needs gt_masks; load them '
                             f'with LoadAnnotations(with_mask=True) and Collect "gt_masks"')
        num_imgs = len(img_metas)
        if gt_bboxes_ignore is None:
            gt_bboxes_ignore = [None] * num_imgs
        sampling_results = []
        for i in range(num_imgs):
            proposals = proposal_list[i].detach()
            assign_result = self.bbox_assigner.assign(proposals, gt_bboxes[i],
                                                      gt_bboxes_ignore[i], gt_labels[i])
            sampling_results.append(self.bbox_sampler.sample(
                assign_result, proposals, gt_bboxes[i], gt_labels[i],
                feats=[lvl_feat[i][None] for lvl_feat in x]))
        losses = dict()
        bbox_results = self._bbox_forward_train(x, sampling_results, gt_bboxes, gt_labels,
                                                img_metas)
        losses.update(bbox_results['loss_bbox'])
        if self.with_mask:
            mask_results = self._mask_forward_train(x, sampling_results,
                                                    bbox_results['bbox_feats'], gt_masks,
                                                    img_metas)
            losses.update(mask_results['loss_mask'])
        return losses

    def _bbox_forward(self, x: Sequence[Tensor], rois: Tensor) -> dict:
        """rois (R, 5) -> dict(cls_score (R, C + 1), bbox_pred (R, 4 * C), bbox_feats)."""
        bbox_feats = self.bbox_roi_extractor(x[:self.bbox_roi_extractor.num_inputs], rois)
        if self.with_shared_head:
            bbox_feats = self.shared_head(bbox_feats)
        cls_score, bbox_pred = self.bbox_head(bbox_feats)
        return dict(cls_score=cls_score, bbox_pred=bbox_pred, bbox_feats=bbox_feats)

    def _bbox_forward_train(self, x: Sequence[Tensor], sampling_results: list,
                            gt_bboxes: list[Tensor], gt_labels: list[Tensor],
                            img_metas: list[dict]) -> dict:
        """Forward the sampled RoIs and add their losses as ``loss_bbox`` (a dict)."""
        rois = bbox2roi([res.bboxes for res in sampling_results])
        bbox_results = self._bbox_forward(x, rois)
        bbox_targets = self.bbox_head.get_targets(sampling_results, gt_bboxes, gt_labels,
                                                  self.train_cfg)
        loss_bbox = self.bbox_head.loss(bbox_results['cls_score'], bbox_results['bbox_pred'],
                                        rois, *bbox_targets)
        bbox_results.update(loss_bbox=loss_bbox)
        return bbox_results

    def _mask_forward(self, x: Sequence[Tensor], rois: Optional[Tensor] = None,
                      pos_inds: Optional[Tensor] = None,
                      bbox_feats: Optional[Tensor] = None) -> dict:
        """Mask logits from RoIs, or from the box branch's features at ``pos_inds``."""
        if (rois is not None) == (pos_inds is not None and bbox_feats is not None):
            raise ValueError(f'{type(self).__name__}._mask_forward: give either rois or '
                             f'both pos_inds and bbox_feats')
        if rois is not None:
            mask_feats = self.mask_roi_extractor(x[:self.mask_roi_extractor.num_inputs], rois)
            if self.with_shared_head:
                mask_feats = self.shared_head(mask_feats)
        else:
            mask_feats = bbox_feats[pos_inds]
        mask_pred = self.mask_head(mask_feats)
        return dict(mask_pred=mask_pred, mask_feats=mask_feats)

    def _mask_forward_train(self, x: Sequence[Tensor], sampling_results: list,
                            bbox_feats: Tensor, gt_masks: list, img_metas: list[dict]) -> dict:
        """Mask logits of the positives and their loss as ``loss_mask`` (a dict)."""
        if not self.share_roi_extractor:
            pos_rois = bbox2roi([res.pos_bboxes for res in sampling_results])
            mask_results = self._mask_forward(x, pos_rois)
        else:
            # positives lead each image's samples, in bbox2roi order
            pos_inds = torch.cat([torch.cat([
                torch.ones(res.pos_bboxes.shape[0], device=bbox_feats.device, dtype=torch.bool),
                torch.zeros(res.neg_bboxes.shape[0], device=bbox_feats.device,
                            dtype=torch.bool)]) for res in sampling_results])
            mask_results = self._mask_forward(x, pos_inds=pos_inds, bbox_feats=bbox_feats)
        mask_targets = self.mask_head.get_targets(sampling_results, gt_masks, self.train_cfg)
        pos_labels = torch.cat([res.pos_gt_labels for res in sampling_results])
        loss_mask = self.mask_head.loss(mask_results['mask_pred'], mask_targets, pos_labels)
        mask_results.update(loss_mask=loss_mask, mask_targets=mask_targets)
        return mask_results

    # -- inference ---------------------------------------------------------------------
    def simple_test_bboxes(self, x: Sequence[Tensor], img_metas: list[dict],
                           proposals: list[Tensor], rcnn_test_cfg: Optional[dict],
                           rescale: bool = False) -> tuple[list[Tensor], list[Tensor]]:
        """See :func:`detkit.models.roi_heads.roi_test.simple_test_bboxes`."""
        return roi_test.simple_test_bboxes(self, x, img_metas, proposals, rcnn_test_cfg,
                                           rescale=rescale)

    def simple_test_mask(self, x: Sequence[Tensor], img_metas: list[dict],
                         det_bboxes: list[Tensor], det_labels: list[Tensor],
                         rescale: bool = False) -> list:
        """See :func:`detkit.models.roi_heads.roi_test.simple_test_mask`."""
        return roi_test.simple_test_mask(self, x, img_metas, det_bboxes, det_labels,
                                         rescale=rescale)

    def simple_test(self, x: Sequence[Tensor], proposal_list: list[Tensor],
                    img_metas: list[dict], proposals: Optional[list[Tensor]] = None,
                    rescale: bool = False, **kwargs: Any) -> list:
        """Results of a batch.

        Returns:
            list: per image the per-class (n, 5) float32 arrays, or with a mask
            head the tuple ``(bbox_results, segm_results)`` (per class lists of
            (H, W) bool masks).
        """
        if not self.with_bbox:
            raise ValueError(f'{type(self).__name__}.simple_test needs a bbox_head')
        det_bboxes, det_labels = self.simple_test_bboxes(x, img_metas, proposal_list,
                                                         self.test_cfg, rescale=rescale)
        bbox_results = [bbox2result(det_bboxes[i], det_labels[i], self.bbox_head.num_classes)
                        for i in range(len(det_bboxes))]
        if not self.with_mask:
            return bbox_results
        segm_results = self.simple_test_mask(x, img_metas, det_bboxes, det_labels,
                                             rescale=rescale)
        return list(zip(bbox_results, segm_results))

    def aug_test(self, x: Sequence[Sequence[Tensor]], proposal_list: list[Tensor],
                 img_metas: Sequence[Sequence[dict]], rescale: bool = False,
                 **kwargs: Any) -> list:
        """Results of one image over augmentations (x and img_metas per augmentation).

        Boxes are merged in the original image; without ``rescale`` they are scaled
        to the first augmentation's scale (masks stay in the original image).
        """
        det_bboxes, det_labels = roi_test.aug_test_bboxes(self, x, img_metas, proposal_list,
                                                          self.test_cfg)
        if rescale:
            _det_bboxes = det_bboxes
        else:
            _det_bboxes = det_bboxes.clone()
            _det_bboxes[:, :4] *= det_bboxes.new_tensor(img_metas[0][0]['scale_factor'])
        bbox_results = bbox2result(_det_bboxes, det_labels, self.bbox_head.num_classes)
        if not self.with_mask:
            return [bbox_results]
        segm_results = roi_test.aug_test_mask(self, x, img_metas, det_bboxes, det_labels)
        return [(bbox_results, segm_results)]
