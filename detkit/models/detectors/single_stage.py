"""``SingleStageDetector``: backbone, optional neck and a dense head that predicts boxes."""
from __future__ import annotations

import copy
import warnings
from typing import Optional, Union

from torch import Tensor

from ...registry import DETECTORS
from ...structures import bbox2result
from ..builder import build_backbone, build_head, build_neck
from ..dense_heads.input_checks import check_gt_bboxes, check_img_metas
from .base import BaseDetector


@DETECTORS.register_module()
class SingleStageDetector(BaseDetector):
    """Dense detector: ``bbox_head(neck(backbone(img)))`` gives boxes directly.

    ``train_cfg`` and ``test_cfg`` are handed to the head (``bbox_head.update(...)``).

    Args:
        backbone (dict): backbone config.
        neck (dict, optional): neck config.
        bbox_head (dict): dense head config.
        train_cfg (dict, optional): the head's training config.
        test_cfg (dict, optional): the head's test config.
        pretrained (str, optional): deprecated, use the backbone's ``init_cfg``.
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    def __init__(self, backbone: dict, neck: Optional[dict] = None,
                 bbox_head: Optional[dict] = None, train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None, pretrained: Optional[str] = None,
                 init_cfg: Union[dict, list, None] = None):
        super().__init__(init_cfg)
        name = type(self).__name__
        if bbox_head is None:
            raise ValueError(f'{name}: bbox_head is required')
        backbone = copy.deepcopy(backbone)
        if pretrained:
            warnings.warn('pretrained is deprecated, use init_cfg=dict(type="Pretrained", '
                          'checkpoint=...) in the backbone', DeprecationWarning, stacklevel=2)
            backbone['pretrained'] = pretrained
        self.backbone = build_backbone(backbone)
        if neck is not None:
            self.neck = build_neck(neck)
        # a copy: the caller's config stays as written
        bbox_head = copy.deepcopy(bbox_head)
        bbox_head.update(train_cfg=train_cfg)
        bbox_head.update(test_cfg=test_cfg)
        self.bbox_head = build_head(bbox_head)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg

    def extract_feat(self, img: Tensor) -> tuple[Tensor, ...]:
        """(B, 3, H, W) -> per level (B, C, H_l, W_l) features (after the neck if any)."""
        x = self.backbone(img)
        if self.with_neck:
            x = self.neck(x)
        return x

    def forward_dummy(self, img: Tensor) -> tuple:
        """The head's raw outputs, for FLOPs counting: (cls_scores, bbox_preds)."""
        return self.bbox_head(self.extract_feat(img))

    def forward_train(self, img: Tensor, img_metas: list[dict], gt_bboxes: list[Tensor],
                      gt_labels: list[Tensor],
                      gt_bboxes_ignore: Optional[list[Tensor]] = None) -> dict:
        """Losses of a batch.

        Args:
            img (Tensor): (B, 3, H, W) padded, normalised images.
            img_metas (list[dict]): B dicts with img_shape, pad_shape, scale_factor, ...
            gt_bboxes (list[Tensor]): per image (n_i, 4) boxes (x1, y1, x2, y2); n_i may be 0.
            gt_labels (list[Tensor]): per image (n_i,) labels in [0, C).
            gt_bboxes_ignore (list[Tensor], optional): per image (k_i, 4) ignored boxes.

        Returns:
            dict[str, Tensor | list[Tensor]]: the head's named losses.
        """
        where = f'{type(self).__name__}.forward_train'
        # meta keys are checked by the head that reads them; here the structure, early
        check_img_metas(img_metas, (), where, num_imgs=img.size(0))
        check_gt_bboxes(gt_bboxes, img.size(0), where)
        super().forward_train(img, img_metas)
        x = self.extract_feat(img)
        return self.bbox_head.forward_train(x, img_metas, gt_bboxes, gt_labels, gt_bboxes_ignore)

    def simple_test(self, img: Tensor, img_metas: list[dict], rescale: bool = False) -> list:
        """Detections of a batch.

        Returns:
            list[list[ndarray]]: per image, per class (n, 5) float32
            [x1, y1, x2, y2, score]; in original-image pixels when ``rescale``.
        """
        check_img_metas(img_metas, ('img_shape', 'scale_factor'),
                        f'{type(self).__name__}.simple_test', num_imgs=img.size(0))
        feat = self.extract_feat(img)
        results_list = self.bbox_head.simple_test(feat, img_metas, rescale=rescale)
        return [bbox2result(det_bboxes, det_labels, self.bbox_head.num_classes)
                for det_bboxes, det_labels in results_list]

    def aug_test(self, imgs: list[Tensor], img_metas: list[list[dict]],
                 rescale: bool = False) -> list:
        """Detections of one image under T augmentations (e.g. flips), merged.

        Args:
            imgs (list[Tensor]): T tensors (1, 3, H_t, W_t).
            img_metas (list[list[dict]]): T lists with the image's meta in each
                (img_shape, scale_factor, flip, flip_direction).

        Returns:
            list[list[ndarray]]: one image, per class (n, 5) float32.
        """
        if not hasattr(self.bbox_head, 'aug_test'):
            raise TypeError(f'{type(self.bbox_head).__name__} does not support test-time '
                            f'augmentation')
        for t, metas in enumerate(img_metas):
            check_img_metas(metas, ('img_shape', 'scale_factor', 'flip', 'flip_direction'),
                            f'{type(self).__name__}.aug_test (augmentation {t})')
        feats = self.extract_feats(imgs)
        results_list = self.bbox_head.aug_test(feats, img_metas, rescale=rescale)
        return [bbox2result(det_bboxes, det_labels, self.bbox_head.num_classes)
                for det_bboxes, det_labels in results_list]
