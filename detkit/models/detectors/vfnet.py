"""``VFNet``: VarifocalNet (Zhang et al., "VarifocalNet: An IoU-aware Dense Object
Detector", 2021)."""
from __future__ import annotations

from typing import Optional, Union

from ...registry import DETECTORS
from .single_stage import SingleStageDetector


@DETECTORS.register_module()
class VFNet(SingleStageDetector):
    """A :class:`SingleStageDetector` with a ``VFNetHead`` (see its arguments)."""

    def __init__(self, backbone: dict, neck: dict, bbox_head: dict,
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None,
                 pretrained: Optional[str] = None, init_cfg: Union[dict, list, None] = None):
        super().__init__(backbone, neck, bbox_head, train_cfg, test_cfg, pretrained, init_cfg)
