"""``CascadeRCNN`` (Cai & Vasconcelos, 2018): Cascade R-CNN and Cascade Mask R-CNN."""
from __future__ import annotations

from typing import Any, Optional, Union

import numpy as np

from ...registry import DETECTORS
from .two_stage import TwoStageDetector


@DETECTORS.register_module()
class CascadeRCNN(TwoStageDetector):
    """A two-stage detector whose RoI head is a ``CascadeRoIHead`` (with a mask branch
    it is Cascade Mask R-CNN). See :class:`TwoStageDetector` for the arguments."""

    def __init__(self, backbone: dict, neck: Optional[dict] = None,
                 rpn_head: Optional[dict] = None, roi_head: Optional[dict] = None,
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None,
                 pretrained: Optional[str] = None, init_cfg: Union[dict, list, None] = None):
        super().__init__(backbone=backbone, neck=neck, rpn_head=rpn_head, roi_head=roi_head,
                         train_cfg=train_cfg, test_cfg=test_cfg, pretrained=pretrained,
                         init_cfg=init_cfg)

    def show_result(self, data: Union[str, np.ndarray], result: Any,
                    **kwargs: Any) -> Optional[np.ndarray]:
        """Draw a result; also takes MMDetection's multi-stage form, a dict holding the
        results under ``'ensemble'`` (or a ``(bbox dict, segm dict)`` pair with masks).
        See :meth:`BaseDetector.show_result` for the other arguments."""
        if self.with_mask:
            ms_bbox_result, ms_segm_result = result
            if isinstance(ms_bbox_result, dict):
                result = (ms_bbox_result['ensemble'], ms_segm_result['ensemble'])
        elif isinstance(result, dict):
            result = result['ensemble']
        return super().show_result(data, result, **kwargs)
