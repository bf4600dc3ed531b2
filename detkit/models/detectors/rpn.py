"""``RPN``: a region proposal network trained and evaluated on its own."""
from __future__ import annotations

import copy
import warnings
from typing import Any, Optional, Union

import numpy as np
from torch import Tensor

from ...registry import DETECTORS
from ...structures import bbox_mapping
from ..builder import build_backbone, build_head, build_neck
from ..dense_heads.input_checks import check_gt_bboxes, check_img_metas
from .base import BaseDetector


def _sub_cfg(cfg: Optional[dict], key: str) -> Optional[dict]:
    return cfg[key] if cfg is not None and key in cfg else None


@DETECTORS.register_module()
class RPN(BaseDetector):
    """Backbone, neck and an ``RPNHead``; results are class-agnostic proposals.

    Args:
        backbone (dict): backbone config.
        neck (dict | None): neck config.
        rpn_head (dict): RPN head config.
        train_cfg (dict | None): ``rpn`` holds the head's training config.
        test_cfg (dict): ``rpn`` holds the head's proposal config.
        pretrained (str, optional): deprecated, use the backbone's ``init_cfg``.
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    def __init__(self, backbone: dict, neck: Optional[dict], rpn_head: dict,
                 train_cfg: Optional[dict], test_cfg: Optional[dict],
                 pretrained: Optional[str] = None, init_cfg: Union[dict, list, None] = None):
        super().__init__(init_cfg)
        backbone = copy.deepcopy(backbone)
        if pretrained:
            warnings.warn('pretrained is deprecated, use init_cfg=dict(type="Pretrained", '
                          'checkpoint=...) in the backbone', DeprecationWarning, stacklevel=2)
            backbone['pretrained'] = pretrained
        self.backbone = build_backbone(backbone)
        self.neck = build_neck(neck) if neck is not None else None
        if test_cfg is None or 'rpn' not in test_cfg:
            raise KeyError(f"RPN: test_cfg must hold 'rpn' (the proposal config), but got "
                           f"{test_cfg if test_cfg is None else sorted(test_cfg)}")
        rpn_head = copy.deepcopy(rpn_head)
        rpn_head.update(train_cfg=_sub_cfg(train_cfg, 'rpn'))
        rpn_head.update(test_cfg=test_cfg['rpn'])
        self.rpn_head = build_head(rpn_head)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg

    def extract_feat(self, img: Tensor) -> tuple[Tensor, ...]:
        """(B, 3, H, W) -> per level (B, C, H_l, W_l) features."""
        x = self.backbone(img)
        if self.with_neck:
            x = self.neck(x)
        return x

    def forward_dummy(self, img: Tensor) -> tuple:
        """The head's raw outputs: (rpn_cls_scores, rpn_bbox_preds)."""
        return self.rpn_head(self.extract_feat(img))

    def forward_train(self, img: Tensor, img_metas: list[dict],
                      gt_bboxes: Optional[list[Tensor]] = None,
                      gt_bboxes_ignore: Optional[list[Tensor]] = None, **kwargs: Any) -> dict:
        """Losses ``loss_rpn_cls`` and ``loss_rpn_bbox`` (per-level lists) of a batch.

        Args:
            img (Tensor): (B, 3, H, W). img_metas (list[dict]): B dicts.
            gt_bboxes (list[Tensor]): per image (n_i, 4). Labels are not used
                (``gt_labels`` passed by a detection pipeline is ignored).
            gt_bboxes_ignore (list[Tensor], optional): per image (k_i, 4).
        """
        where = f'{type(self).__name__}.forward_train'
        check_img_metas(img_metas, (), where, num_imgs=img.size(0))
        check_gt_bboxes(gt_bboxes, img.size(0), where)
        super().forward_train(img, img_metas)
        x = self.extract_feat(img)
        return self.rpn_head.forward_train(x, img_metas, gt_bboxes, None, gt_bboxes_ignore)

    def simple_test(self, img: Tensor, img_metas: list[dict], rescale: bool = False) -> list:
        """Proposals of a batch: per image an (n, 5) float32 array [x1, y1, x2, y2, score],
        in original-image pixels when ``rescale``."""
        check_img_metas(img_metas, ('img_shape', 'scale_factor'),
                        f'{type(self).__name__}.simple_test', num_imgs=img.size(0))
        x = self.extract_feat(img)
        proposal_list = self.rpn_head.simple_test_rpn(x, img_metas)
        if rescale:
            for proposals, meta in zip(proposal_list, img_metas):
                proposals[:, :4] /= proposals.new_tensor(meta['scale_factor'])
        return [p.detach().cpu().numpy() for p in proposal_list]

    def aug_test(self, imgs: list[Tensor], img_metas: list[list[dict]],
                 rescale: bool = False) -> list:
        """Proposals merged over augmentations: per image an (n, 5) array; without
        ``rescale`` in the first augmentation's image coordinates."""
        for t, metas in enumerate(img_metas):
            check_img_metas(metas, ('img_shape', 'scale_factor', 'flip', 'flip_direction'),
                            f'{type(self).__name__}.aug_test (augmentation {t})')
        proposal_list = self.rpn_head.aug_test_rpn(self.extract_feats(imgs), img_metas)
        if not rescale:
            for proposals, meta in zip(proposal_list, img_metas[0]):
                proposals[:, :4] = bbox_mapping(proposals[:, :4], meta['img_shape'],
                                                meta['scale_factor'], meta['flip'],
                                                meta['flip_direction'])
        return [p.detach().cpu().numpy() for p in proposal_list]

    def show_result(self, data: Any, result: Any, top_k: int = 20,
                    **kwargs: Any) -> Optional[np.ndarray]:
        """Draw the ``top_k`` best proposals (an (n, 5) array) on the image ``data``.

        ``kwargs`` are those of :meth:`BaseDetector.show_result` (score_thr defaults to 0 here).
        """
        proposals = np.asarray(result, dtype=np.float32).reshape(-1, 5)[:top_k]
        kwargs.setdefault('score_thr', 0)
        return super().show_result(data, [proposals], **kwargs)
