"""``YOLOV3`` (Redmon and Farhadi, "YOLOv3: An Incremental Improvement", 2018)."""
from __future__ import annotations

from typing import Optional, Union

from ...registry import DETECTORS
from .single_stage import SingleStageDetector


@DETECTORS.register_module()
class YOLOV3(SingleStageDetector):
    """A :class:`SingleStageDetector` with a ``YOLOV3Head`` (see its arguments).

    Multi-scale training comes from the data pipeline (``Resize`` with several
    ``img_scale``), not from the detector.
    """

    def __init__(self, backbone: dict, neck: dict, bbox_head: dict,
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None,
                 pretrained: Optional[str] = None, init_cfg: Union[dict, list, None] = None):
        super().__init__(backbone, neck, bbox_head, train_cfg, test_cfg, pretrained, init_cfg)
