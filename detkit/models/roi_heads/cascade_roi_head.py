"""``CascadeRoIHead``: Cascade R-CNN's multi-stage box (and mask) branch (Cai & Vasconcelos,
2018, https://arxiv.org/abs/1712.00726)."""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np
import torch
from torch import Tensor

from ...registry import HEADS
from ...structures import bbox2result, bbox2roi
from ..builder import build_head, build_roi_extractor
from ..layers import ModuleList
from ..task_modules import build_assigner, build_sampler
from .base_roi_head import BaseRoIHead
from .cascade_test import cascade_aug_test, scale_tensor


def _per_stage(cfg: Union[dict, list, tuple], num_stages: int, arg: str) -> list:
    """A config list of ``num_stages`` entries: a single config is used by every stage."""
    if isinstance(cfg, (list, tuple)):
        if len(cfg) != num_stages:
            raise ValueError(f'CascadeRoIHead: {arg} lists {len(cfg)} configs but num_stages '
                             f'is {num_stages}; give one config per stage, or a single dict '
                             f'for all stages')
        return list(cfg)
    return [cfg] * num_stages


@HEADS.register_module()
class CascadeRoIHead(BaseRoIHead):
    """``num_stages`` box heads in sequence: each stage's regressed boxes are the next
    stage's proposals, and each stage is trained with its own (stricter) IoU assigner.

    Args:
        num_stages (int): S, the number of stages.
        stage_loss_weights (list[float]): S weights of the stages' losses.
        bbox_roi_extractor (dict | list[dict]): one config for all stages or S configs.
        bbox_head (dict | list[dict]): one config for all stages or S configs.
        mask_roi_extractor (dict | list[dict], optional): None shares the box extractors.
        mask_head (dict | list[dict], optional): one config for all stages or S configs.
        shared_head (dict, optional): must be None (not supported by cascades).
        train_cfg (list[dict], optional): S rcnn configs (``assigner``, ``sampler``,
            ``pos_weight``, ``mask_size``).
        test_cfg (dict, optional): ``score_thr``, ``nms``, ``max_per_img``, ``mask_thr_binary``.
        pretrained (str, optional): deprecated, unused without a shared head.
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    def __init__(self, num_stages: int, stage_loss_weights: Sequence[float],
                 bbox_roi_extractor: Union[dict, list, None] = None,
                 bbox_head: Union[dict, list, None] = None,
                 mask_roi_extractor: Union[dict, list, None] = None,
                 mask_head: Union[dict, list, None] = None, shared_head: Optional[dict] = None,
                 train_cfg: Optional[list] = None, test_cfg: Optional[dict] = None,
                 pretrained: Optional[str] = None, init_cfg: Union[dict, list, None] = None):
        if bbox_roi_extractor is None or bbox_head is None:
            raise ValueError('CascadeRoIHead: bbox_roi_extractor and bbox_head are required')
        if shared_head is not None:
            raise ValueError('CascadeRoIHead: shared_head is not supported (as in MMDetection '
                             '2.x); set roi_head.shared_head=None')
        if len(stage_loss_weights) != num_stages:
            raise ValueError(f'CascadeRoIHead: stage_loss_weights has {len(stage_loss_weights)} '
                             f'entries but num_stages is {num_stages}')
        if train_cfg is not None and (not isinstance(train_cfg, (list, tuple))
                                      or len(train_cfg) != num_stages):
            got = (f'{len(train_cfg)} configs' if isinstance(train_cfg, (list, tuple))
                   else type(train_cfg).__name__)
            raise ValueError(f'CascadeRoIHead: train_cfg (model.train_cfg.rcnn) must be a list '
                             f'of num_stages={num_stages} dicts, one per stage, but got {got}')
        self.num_stages = num_stages
        self.stage_loss_weights = list(stage_loss_weights)
        super().__init__(bbox_roi_extractor=bbox_roi_extractor, bbox_head=bbox_head,
                         mask_roi_extractor=mask_roi_extractor, mask_head=mask_head,
                         shared_head=shared_head, train_cfg=train_cfg, test_cfg=test_cfg,
                         pretrained=pretrained, init_cfg=init_cfg)

    # -- construction ------------------------------------------------------------------
    def init_bbox_head(self, bbox_roi_extractor: Union[dict, list],
                       bbox_head: Union[dict, list]) -> None:
        """``bbox_roi_extractor`` and ``bbox_head``: ModuleLists of S modules."""
        extractors = _per_stage(bbox_roi_extractor, self.num_stages, 'bbox_roi_extractor')
        heads = _per_stage(bbox_head, self.num_stages, 'bbox_head')
        self.bbox_roi_extractor = ModuleList([build_roi_extractor(c) for c in extractors])
        self.bbox_head = ModuleList([build_head(c) for c in heads])

    def init_mask_head(self, mask_roi_extractor: Union[dict, list, None],
                       mask_head: Union[dict, list]) -> None:
        """``mask_head`` (and ``mask_roi_extractor``): ModuleLists of S modules."""
        heads = _per_stage(mask_head, self.num_stages, 'mask_head')
        self.mask_head = ModuleList([build_head(c) for c in heads])
        if mask_roi_extractor is not None:
            self.share_roi_extractor = False
            extractors = _per_stage(mask_roi_extractor, self.num_stages, 'mask_roi_extractor')
            self.mask_roi_extractor = ModuleList([build_roi_extractor(c) for c in extractors])
        else:
            self.share_roi_extractor = True
            self.mask_roi_extractor = self.bbox_roi_extractor

    def init_assigner_sampler(self) -> None:
        """Per-stage ``bbox_assigner``/``bbox_sampler`` lists (empty when testing only)."""
        self.bbox_assigner: list = []
        self.bbox_sampler: list = []
        for stage, cfg in enumerate(self.train_cfg or []):
            for key in ('assigner', 'sampler'):
                if key not in cfg:
                    raise KeyError(f'CascadeRoIHead: train_cfg (model.train_cfg.rcnn) of stage '
                                   f'{stage} has no {key!r} (keys present: '
                                   f'{", ".join(sorted(cfg))})')
            self.bbox_assigner.append(build_assigner(cfg['assigner']))
            # an OHEM sampler reads the stage it samples for from its context
            self.current_stage = stage
            self.bbox_sampler.append(build_sampler(cfg['sampler'], context=self))

    def forward_dummy(self, x: Sequence[Tensor], proposals: Tensor) -> tuple:
        """Raw outputs of every stage for (n, 4) proposals of image 0."""
        outs: tuple = ()
        rois = bbox2roi([proposals])
        for stage in range(self.num_stages):
            res = self._bbox_forward(stage, x, rois)
            outs = outs + (res['cls_score'], res['bbox_pred'])
        if self.with_mask:
            for stage in range(self.num_stages):
                outs = outs + (self._mask_forward(stage, x, rois[:100])['mask_pred'], )
        return outs

    # -- training ----------------------------------------------------------------------
    def _bbox_forward(self, stage: int, x: Sequence[Tensor], rois: Tensor) -> dict:
        """rois (R, 5) -> dict(cls_score (R, C + 1), bbox_pred (R, 4 or 4 * C), bbox_feats)."""
        extractor = self.bbox_roi_extractor[stage]
        bbox_feats = extractor(x[:extractor.num_inputs], rois)
        cls_score, bbox_pred = self.bbox_head[stage](bbox_feats)
        return dict(cls_score=cls_score, bbox_pred=bbox_pred, bbox_feats=bbox_feats)

    def _bbox_forward_train(self, stage: int, x: Sequence[Tensor], sampling_results: list,
                            gt_bboxes: list[Tensor], gt_labels: list[Tensor],
                            rcnn_train_cfg: dict) -> dict:
        """Forward a stage's sampled RoIs; adds ``loss_bbox`` (dict), ``rois``, ``bbox_targets``."""
        rois = bbox2roi([res.bboxes for res in sampling_results])
        bbox_results = self._bbox_forward(stage, x, rois)
        head = self.bbox_head[stage]
        bbox_targets = head.get_targets(sampling_results, gt_bboxes, gt_labels, rcnn_train_cfg)
        loss_bbox = head.loss(bbox_results['cls_score'], bbox_results['bbox_pred'], rois,
                              *bbox_targets)
        bbox_results.update(loss_bbox=loss_bbox, rois=rois, bbox_targets=bbox_targets)
        return bbox_results

    def _mask_forward(self, stage: int, x: Sequence[Tensor], rois: Tensor) -> dict:
        """rois (R, 5) -> dict(mask_pred (R, C or 1, h, w) logits)."""
        extractor = self.mask_roi_extractor[stage]
        mask_feats = extractor(x[:extractor.num_inputs], rois)
        return dict(mask_pred=self.mask_head[stage](mask_feats))

    def _mask_forward_train(self, stage: int, x: Sequence[Tensor], sampling_results: list,
                            gt_masks: list, rcnn_train_cfg: dict,
                            bbox_feats: Optional[Tensor] = None) -> dict:
        """Mask logits of a stage's positives (pooled anew) and ``loss_mask`` (a dict)."""
        pos_rois = bbox2roi([res.pos_bboxes for res in sampling_results])
        mask_results = self._mask_forward(stage, x, pos_rois)
        head = self.mask_head[stage]
        mask_targets = head.get_targets(sampling_results, gt_masks, rcnn_train_cfg)
        pos_labels = torch.cat([res.pos_gt_labels for res in sampling_results])
        mask_results.update(loss_mask=head.loss(mask_results['mask_pred'], mask_targets,
                                                pos_labels))
        return mask_results

    def forward_train(self, x: Sequence[Tensor], img_metas: list[dict],
                      proposal_list: list[Tensor], gt_bboxes: list[Tensor],
                      gt_labels: list[Tensor], gt_bboxes_ignore: Optional[list[Tensor]] = None,
                      gt_masks: Optional[list[Any]] = None, **kwargs: Any) -> dict:
        """Losses of every stage, named ``s{i}.loss_cls``, ``s{i}.acc``, ``s{i}.loss_bbox``
        (and ``s{i}.loss_mask``); losses (not accuracies) scaled by ``stage_loss_weights``.

        Args:
            x (tuple[Tensor]): per level (B, C, H_l, W_l).
            img_metas (list[dict]): B metas (``img_shape`` clips the refined boxes).
            proposal_list (list[Tensor]): per image (n_i, 4 or 5) proposals.
            gt_bboxes (list[Tensor]): per image (g_i, 4); g_i may be 0.
            gt_labels (list[Tensor]): per image (g_i,).
            gt_bboxes_ignore (list[Tensor], optional): per image (k_i, 4).
            gt_masks (list[BitmapMasks | PolygonMasks], optional): per image g_i masks.
        """
        if not self.bbox_assigner:
            raise RuntimeError('CascadeRoIHead.forward_train: the head was built without a '
                               'train_cfg (model.train_cfg.rcnn); it can only be tested')
        if len(proposal_list) != len(img_metas):
            raise ValueError(f'CascadeRoIHead.forward_train: {len(proposal_list)} proposal '
                             f'tensors for {len(img_metas)} images')
        if self.with_mask and gt_masks is None:
            raise ValueError('CascadeRoIHead.forward_train: the mask head needs gt_masks; load '
                             'them with LoadAnnotations(with_mask=True) and Collect "gt_masks"')
        num_imgs = len(img_metas)
        if gt_bboxes_ignore is None:
            gt_bboxes_ignore = [None] * num_imgs
        losses = dict()
        for stage in range(self.num_stages):
            self.current_stage = stage
            rcnn_train_cfg = self.train_cfg[stage]
            weight = self.stage_loss_weights[stage]
            sampling_results = []
            for i in range(num_imgs):
                proposals = proposal_list[i].detach()
                assign_result = self.bbox_assigner[stage].assign(
                    proposals, gt_bboxes[i], gt_bboxes_ignore[i], gt_labels[i])
                sampling_results.append(self.bbox_sampler[stage].sample(
                    assign_result, proposals, gt_bboxes[i], gt_labels[i],
                    feats=[lvl_feat[i][None] for lvl_feat in x]))
            bbox_results = self._bbox_forward_train(stage, x, sampling_results, gt_bboxes,
                                                    gt_labels, rcnn_train_cfg)
            for name, value in bbox_results['loss_bbox'].items():
                losses[f's{stage}.{name}'] = value * weight if 'loss' in name else value
            if self.with_mask:
                mask_results = self._mask_forward_train(stage, x, sampling_results, gt_masks,
                                                        rcnn_train_cfg,
                                                        bbox_results['bbox_feats'])
                for name, value in mask_results['loss_mask'].items():
                    losses[f's{stage}.{name}'] = value * weight if 'loss' in name else value
            if stage < self.num_stages - 1:
                with torch.no_grad():
                    proposal_list = self._refine_train_rois(stage, bbox_results,
                                                            sampling_results, img_metas)
                if proposal_list is None:
                    # nothing was sampled in the whole batch: no later stage can learn
                    break
        return losses

    def _refine_train_rois(self, stage: int, bbox_results: dict, sampling_results: list,
                           img_metas: list[dict]) -> Optional[list[Tensor]]:
        """Next stage's proposals: every sampled RoI regressed (by its gt class, or its
        best foreground class when negative), minus the gts added as proposals."""
        head = self.bbox_head[stage]
        cls_score = bbox_results['cls_score']
        if cls_score.numel() == 0:
            return None
        if head.custom_activation:
            cls_score = head.loss_cls.get_activation(cls_score)
        roi_labels = bbox_results['bbox_targets'][0]
        roi_labels = torch.where(roi_labels == head.num_classes,
                                 cls_score[:, :-1].argmax(1), roi_labels)
        return head.refine_bboxes(bbox_results['rois'], roi_labels, bbox_results['bbox_pred'],
                                  [res.pos_is_gt for res in sampling_results], img_metas)

    # -- inference ---------------------------------------------------------------------
    def _cascade_rois(self, x: Sequence[Tensor], rois: Tensor, img_metas: list[dict],
                      num_per_img: Sequence[int]) -> tuple[list[Tensor], list[Tensor], list]:
        """Run the stages on (R, 5) RoIs of a batch.

        Returns:
            tuple: per image the last stage's input RoIs (n_i, 5), the stages' mean
            cls logits (n_i, C + 1) and the last stage's bbox_pred (n_i, 4 or 4 * C).
        """
        ms_scores = []
        for stage in range(self.num_stages):
            res = self._bbox_forward(stage, x, rois)
            cls_score = res['cls_score'].split(num_per_img, 0)
            bbox_pred = res['bbox_pred'].split(num_per_img, 0)
            ms_scores.append(cls_score)
            if stage < self.num_stages - 1:
                head = self.bbox_head[stage]
                rois_per_img = rois.split(num_per_img, 0)
                refined = []
                for j, meta in enumerate(img_metas):
                    if rois_per_img[j].shape[0] == 0:
                        continue
                    score = cls_score[j]
                    if head.custom_activation:
                        score = head.loss_cls.get_activation(score)
                    refined.append(head.regress_by_class(rois_per_img[j],
                                                         score[:, :-1].argmax(dim=1),
                                                         bbox_pred[j], meta))
                rois = torch.cat(refined)
        # the ensemble: mean over stages of the raw scores, as MMDetection
        mean_scores = [sum(s[j] for s in ms_scores) / float(self.num_stages)
                       for j in range(len(img_metas))]
        return list(rois.split(num_per_img, 0)), mean_scores, list(bbox_pred)

    def simple_test(self, x: Sequence[Tensor], proposal_list: list[Tensor],
                    img_metas: list[dict], proposals: Optional[list[Tensor]] = None,
                    rescale: bool = False, **kwargs: Any) -> list:
        """Results of a batch: the stages' mean class scores, the last stage's boxes.

        Returns:
            list: per image the per-class (n, 5) float32 arrays, or with a mask head
            ``(bbox_results, segm_results)`` (masks averaged over the stages' heads).
        """
        if not self.with_bbox:
            raise ValueError('CascadeRoIHead.simple_test needs a bbox_head')
        num_imgs = len(proposal_list)
        num_classes = self.bbox_head[-1].num_classes
        rois = bbox2roi(proposal_list)
        num_per_img = tuple(len(p) for p in proposal_list)
        det_bboxes, det_labels = [], []
        if rois.shape[0] > 0:
            rois_list, scores, bbox_preds = self._cascade_rois(x, rois, img_metas, num_per_img)
        for i, meta in enumerate(img_metas):
            if num_per_img[i] == 0:
                det_bboxes.append(rois.new_zeros(0, 5))
                det_labels.append(rois.new_zeros((0, ), dtype=torch.long))
                continue
            det_bbox, det_label = self.bbox_head[-1].get_bboxes(
                rois_list[i], scores[i], bbox_preds[i], meta['img_shape'],
                meta['scale_factor'], rescale=rescale, cfg=self.test_cfg)
            det_bboxes.append(det_bbox)
            det_labels.append(det_label)
        bbox_results = [bbox2result(det_bboxes[i], det_labels[i], num_classes)
                        for i in range(num_imgs)]
        if not self.with_mask:
            return bbox_results
        segm_results = self._simple_test_mask(x, img_metas, det_bboxes, det_labels, rescale)
        return list(zip(bbox_results, segm_results))

    def _simple_test_mask(self, x: Sequence[Tensor], img_metas: list[dict],
                          det_bboxes: list[Tensor], det_labels: list[Tensor],
                          rescale: bool) -> list:
        """Per image, per class masks: the mean of every stage's mask probabilities."""
        mask_classes = self.mask_head[-1].num_classes
        if all(det_bbox.shape[0] == 0 for det_bbox in det_bboxes):
            return [[[] for _ in range(mask_classes)] for _ in img_metas]
        scale_factors = [scale_tensor(meta['scale_factor'], det_bboxes[0])
                         for meta in img_metas]
        # the mask RoIs live in the test image; detections were rescaled to the original
        _bboxes = [det_bboxes[i][:, :4] * scale_factors[i] if rescale else det_bboxes[i][:, :4]
                   for i in range(len(det_bboxes))]
        mask_rois = bbox2roi(_bboxes)
        num_per_img = tuple(b.size(0) for b in _bboxes)
        stage_masks = []
        for stage in range(self.num_stages):
            mask_pred = self._mask_forward(stage, x, mask_rois)['mask_pred']
            stage_masks.append([m.sigmoid().cpu().numpy() for m in mask_pred.split(num_per_img)])
        segm_results = []
        for i, meta in enumerate(img_metas):
            if num_per_img[i] == 0:
                segm_results.append([[] for _ in range(mask_classes)])
                continue
            # the stages saw the same (unflipped) RoIs: a plain mean; MMDetection routes this
            # through merge_aug_masks, which would un-flip the masks of a flipped test image
            merged = np.mean([masks[i] for masks in stage_masks], axis=0)
            segm_results.append(self.mask_head[-1].get_seg_masks(
                merged, _bboxes[i], det_labels[i], self.test_cfg, meta['ori_shape'],
                scale_factors[i], rescale))
        return segm_results

    def aug_test(self, x: Sequence[Sequence[Tensor]], proposal_list: list[Tensor],
                 img_metas: Sequence[Sequence[dict]], rescale: bool = False,
                 **kwargs: Any) -> list:
        """Results of one image over augmentations (x and img_metas per augmentation);
        see :func:`cascade_test.cascade_aug_test`."""
        return cascade_aug_test(self, x, proposal_list, img_metas, rescale)
