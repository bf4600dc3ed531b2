"""``TOOD``: TOOD (Feng et al., "TOOD: Task-aligned One-stage Object Detection", 2021)."""
from __future__ import annotations

from typing import Optional, Union

from ...registry import DETECTORS
from .single_stage import SingleStageDetector


@DETECTORS.register_module()
class TOOD(SingleStageDetector):
    """A :class:`SingleStageDetector` with a ``TOODHead``, whose assigner and
    classification loss change after ``train_cfg.initial_epoch`` epochs: the runner's
    ``SetEpochInfoHook`` calls :meth:`set_epoch` before every epoch."""

    def __init__(self, backbone: dict, neck: dict, bbox_head: dict,
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None,
                 pretrained: Optional[str] = None, init_cfg: Union[dict, list, None] = None):
        super().__init__(backbone, neck, bbox_head, train_cfg, test_cfg, pretrained, init_cfg)

    def set_epoch(self, epoch: int) -> None:
        """Tell the head the current (0-based) training epoch."""
        self.bbox_head.epoch = epoch
