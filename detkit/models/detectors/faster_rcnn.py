"""``FasterRCNN`` (Ren et al., 2015)."""
from __future__ import annotations

from typing import Optional, Union

from ...registry import DETECTORS
from .two_stage import TwoStageDetector


@DETECTORS.register_module()
class FasterRCNN(TwoStageDetector):
    """Faster R-CNN: an RPN head and a RoI box head. See :class:`TwoStageDetector`."""

    def __init__(self, backbone: dict, rpn_head: dict, roi_head: dict, train_cfg: Optional[dict],
                 test_cfg: Optional[dict], neck: Optional[dict] = None,
                 pretrained: Optional[str] = None, init_cfg: Union[dict, list, None] = None):
        super().__init__(backbone=backbone, neck=neck, rpn_head=rpn_head, roi_head=roi_head,
                         train_cfg=train_cfg, test_cfg=test_cfg, pretrained=pretrained,
                         init_cfg=init_cfg)
