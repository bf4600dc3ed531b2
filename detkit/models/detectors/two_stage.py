"""``TwoStageDetector``: backbone, neck, a region proposal head and a RoI head."""
from __future__ import annotations

import copy
import warnings
from typing import Any, Optional, Union

import torch
from torch import Tensor, nn

from ...registry import DETECTORS
from ..builder import build_backbone, build_head, build_neck
from ..dense_heads.input_checks import check_gt_bboxes, check_gt_labels, check_img_metas
from .base import BaseDetector


def _sub_cfg(cfg: Optional[dict], key: str, where: str, required: bool = False) -> Any:
    if cfg is not None and key in cfg:
        return cfg[key]
    if required:
        raise KeyError(f"{where}: test_cfg must hold {key!r} (keys present: "
                       f"{', '.join(sorted(cfg)) if cfg else 'none'})")
    return None


@DETECTORS.register_module()
class TwoStageDetector(BaseDetector):
    """Two-stage detector: proposals (an RPN head, or given), refined by a RoI head.

    Args:
        backbone (dict): backbone config.
        neck (dict, optional): neck config.
        rpn_head (dict, optional): proposal head; None means proposals are given
            (Fast R-CNN).
        roi_head (dict, optional): RoI head config.
        train_cfg (dict, optional): ``rpn`` (RPN targets), ``rpn_proposal`` (proposals
            made while training; default ``test_cfg.rpn``), ``rcnn`` (RoI targets).
        test_cfg (dict, optional): ``rpn`` and ``rcnn``.
        pretrained (str, optional): deprecated, use the backbone's ``init_cfg``.
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    def __init__(self, backbone: dict, neck: Optional[dict] = None,
                 rpn_head: Optional[dict] = None, roi_head: Optional[dict] = None,
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None,
                 pretrained: Optional[str] = None, init_cfg: Union[dict, list, None] = None):
        super().__init__(init_cfg)
        name = type(self).__name__
        backbone = copy.deepcopy(backbone)
        if pretrained:
            warnings.warn('pretrained is deprecated, use init_cfg=dict(type="Pretrained", '
                          'checkpoint=...) in the backbone', DeprecationWarning, stacklevel=2)
            backbone['pretrained'] = pretrained
        self.backbone = build_backbone(backbone)
        if neck is not None:
            self.neck = build_neck(neck)
        if rpn_head is not None:
            rpn_head_ = copy.deepcopy(rpn_head)
            rpn_head_.update(train_cfg=_sub_cfg(train_cfg, 'rpn', name),
                             test_cfg=_sub_cfg(test_cfg, 'rpn', name, required=True))
            self.rpn_head = build_head(rpn_head_)
        if roi_head is not None:
            roi_head = copy.deepcopy(roi_head)
            roi_head.update(train_cfg=_sub_cfg(train_cfg, 'rcnn', name),
                            test_cfg=_sub_cfg(test_cfg, 'rcnn', name, required=True))
            if pretrained:
                roi_head['pretrained'] = pretrained
            self.roi_head = build_head(roi_head)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg

    @property
    def with_rpn(self) -> bool:
        """bool: whether the detector makes its own proposals."""
        return getattr(self, 'rpn_head', None) is not None

    @property
    def with_roi_head(self) -> bool:
        """bool: whether the detector has a RoI head."""
        return getattr(self, 'roi_head', None) is not None

    def extract_feat(self, img: Tensor) -> tuple[Tensor, ...]:
        """(B, 3, H, W) -> per level (B, C, H_l, W_l)."""
        x = self.backbone(img)
        if self.with_neck:
            x = self.neck(x)
        return x

    def forward_dummy(self, img: Tensor) -> tuple:
        """Raw outputs for FLOPs counting, with 1000 random proposals (as MMDetection)."""
        outs: tuple = ()
        x = self.extract_feat(img)
        if self.with_rpn:
            outs = outs + (self.rpn_head(x), )
        proposals = torch.randn(1000, 4, device=img.device)
        return outs + (self.roi_head.forward_dummy(x, proposals), )

    def forward_train(self, img: Tensor, img_metas: list[dict], gt_bboxes: list[Tensor],
                      gt_labels: list[Tensor], gt_bboxes_ignore: Optional[list[Tensor]] = None,
                      gt_masks: Optional[list[Any]] = None,
                      proposals: Optional[list[Tensor]] = None, **kwargs: Any) -> dict:
        """Losses of a batch: ``loss_rpn_cls``, ``loss_rpn_bbox`` (with an RPN head),
        ``loss_cls``, ``acc``, ``loss_bbox`` (and ``loss_mask``).

        Args:
            img (Tensor): (B, 3, H, W). img_metas (list[dict]): B metas.
            gt_bboxes (list[Tensor]): per image (g_i, 4). gt_labels (list[Tensor]): (g_i,).
            gt_bboxes_ignore (list[Tensor], optional): per image (k_i, 4).
            gt_masks (list[BitmapMasks | PolygonMasks], optional): per image g_i masks.
            proposals (list[Tensor], optional): per image (n_i, 4 or 5); required
                without an RPN head.
        """
        where = f'{type(self).__name__}.forward_train'
        check_img_metas(img_metas, ('img_shape', 'pad_shape'), where, num_imgs=img.size(0))
        check_gt_bboxes(gt_bboxes, img.size(0), where)
        if self.with_roi_head:
            bbox_head = self.roi_head.bbox_head
            if isinstance(bbox_head, nn.ModuleList):
                bbox_head = bbox_head[-1]  # a cascade's stages share the classes
            check_gt_labels(gt_labels, gt_bboxes, bbox_head.num_classes, where)
        super().forward_train(img, img_metas)
        x = self.extract_feat(img)
        losses = dict()
        if self.with_rpn:
            proposal_cfg = (self.train_cfg or {}).get('rpn_proposal', self.test_cfg['rpn'])
            rpn_losses, proposal_list = self.rpn_head.forward_train(
                x, img_metas, gt_bboxes, gt_labels=None, gt_bboxes_ignore=gt_bboxes_ignore,
                proposal_cfg=proposal_cfg, **kwargs)
            losses.update(rpn_losses)
        else:
            if proposals is None:
                raise ValueError(f'{where}: without an rpn_head the proposals must be given '
                                 f'(LoadProposals in the pipeline and "proposals" in Collect)')
            check_gt_bboxes([p[:, :4] for p in proposals], img.size(0), where, 'proposals')
            proposal_list = proposals
        roi_losses = self.roi_head.forward_train(x, img_metas, proposal_list, gt_bboxes,
                                                 gt_labels, gt_bboxes_ignore, gt_masks, **kwargs)
        losses.update(roi_losses)
        return losses

    def simple_test(self, img: Tensor, img_metas: list[dict],
                    proposals: Optional[list[Tensor]] = None, rescale: bool = False) -> list:
        """Results of a batch: per image per-class (n, 5) arrays, or
        ``(bbox_results, segm_results)`` with a mask head."""
        where = f'{type(self).__name__}.simple_test'
        # masks are pasted into the original image, so only they need its shape
        keys = ('img_shape', 'scale_factor') + (('ori_shape', ) if self.with_mask else ())
        check_img_metas(img_metas, keys, where, num_imgs=img.size(0))
        x = self.extract_feat(img)
        if proposals is None:
            if not self.with_rpn:
                raise ValueError(f'{where}: without an rpn_head the proposals must be given')
            proposal_list = self.rpn_head.simple_test_rpn(x, img_metas)
        else:
            proposal_list = proposals
        return self.roi_head.simple_test(x, proposal_list, img_metas, rescale=rescale)

    def aug_test(self, imgs: list[Tensor], img_metas: list[list[dict]],
                 rescale: bool = False) -> list:
        """Results of one image over augmentations (proposals merged over them too)."""
        for t, metas in enumerate(img_metas):
            check_img_metas(metas, ('img_shape', 'scale_factor', 'flip', 'ori_shape'),
                            f'{type(self).__name__}.aug_test (augmentation {t})')
        if not self.with_rpn:
            raise ValueError(f'{type(self).__name__}.aug_test: test-time augmentation needs '
                             f'an rpn_head (given proposals are not augmented)')
        x = self.extract_feats(imgs)
        proposal_list = self.rpn_head.aug_test_rpn(x, img_metas)
        return self.roi_head.aug_test(x, proposal_list, img_metas, rescale=rescale)
