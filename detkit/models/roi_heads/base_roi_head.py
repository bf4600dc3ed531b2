"""``BaseRoIHead``: builds the box and mask branches of a two-stage detector."""
from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any, Optional, Union

from ..builder import build_shared_head
from ..layers import BaseModule


class BaseRoIHead(BaseModule, metaclass=ABCMeta):
    """Base of RoI heads.

    Args:
        bbox_roi_extractor (dict, optional): RoI extractor of the box branch.
        bbox_head (dict, optional): box head config.
        mask_roi_extractor (dict, optional): RoI extractor of the mask branch; None
            shares the box branch's (and its pooled features).
        mask_head (dict, optional): mask head config.
        shared_head (dict, optional): a head applied to the pooled features first
            (e.g. ResLayer in C4 models).
        train_cfg (dict, optional): ``assigner``, ``sampler``, ``pos_weight``, ``mask_size``.
        test_cfg (dict, optional): ``score_thr``, ``nms``, ``max_per_img``, ``mask_thr_binary``.
        pretrained (str, optional): deprecated; passed to the shared head.
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    def __init__(self, bbox_roi_extractor: Optional[dict] = None,
                 bbox_head: Optional[dict] = None, mask_roi_extractor: Optional[dict] = None,
                 mask_head: Optional[dict] = None, shared_head: Optional[dict] = None,
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None,
                 pretrained: Optional[str] = None, init_cfg: Union[dict, list, None] = None):
        super().__init__(init_cfg)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        if shared_head is not None:
            shared_head = dict(shared_head)
            if pretrained is not None:
                shared_head['pretrained'] = pretrained
            self.shared_head = build_shared_head(shared_head)
        if bbox_head is not None:
            self.init_bbox_head(bbox_roi_extractor, bbox_head)
        if mask_head is not None:
            self.init_mask_head(mask_roi_extractor, mask_head)
        self.init_assigner_sampler()

    @property
    def with_bbox(self) -> bool:
        """bool: whether the head has a box branch."""
        return getattr(self, 'bbox_head', None) is not None

    @property
    def with_mask(self) -> bool:
        """bool: whether the head has a mask branch."""
        return getattr(self, 'mask_head', None) is not None

    @property
    def with_shared_head(self) -> bool:
        """bool: whether pooled features go through a shared head."""
        return getattr(self, 'shared_head', None) is not None

    @abstractmethod
    def init_bbox_head(self, bbox_roi_extractor: dict, bbox_head: dict) -> None:
        """Build ``bbox_roi_extractor`` and ``bbox_head``."""

    @abstractmethod
    def init_mask_head(self, mask_roi_extractor: Optional[dict], mask_head: dict) -> None:
        """Build ``mask_roi_extractor`` and ``mask_head``."""

    @abstractmethod
    def init_assigner_sampler(self) -> None:
        """Build ``bbox_assigner`` and ``bbox_sampler`` from ``train_cfg``."""

    @abstractmethod
    def forward_train(self, x: Any, img_metas: list[dict], proposal_list: list, gt_bboxes: list,
                      gt_labels: list, gt_bboxes_ignore: Optional[list] = None,
                      gt_masks: Optional[list] = None, **kwargs: Any) -> dict:
        """Losses of a batch."""

    @abstractmethod
    def simple_test(self, x: Any, proposal_list: list, img_metas: list[dict],
                    proposals: Optional[list] = None, rescale: bool = False, **kwargs: Any) -> list:
        """Results of a batch without augmentation."""

    @abstractmethod
    def aug_test(self, x: Any, proposal_list: list, img_metas: list, rescale: bool = False,
                 **kwargs: Any) -> list:
        """Results of one image over augmentations."""
