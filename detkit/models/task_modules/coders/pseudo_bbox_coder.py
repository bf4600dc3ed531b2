"""Identity coder, for heads that regress boxes directly."""
from __future__ import annotations

from torch import Tensor

from ....registry import BBOX_CODERS
from .base_bbox_coder import BaseBBoxCoder


@BBOX_CODERS.register_module()
class PseudoBBoxCoder(BaseBBoxCoder):
    """``encode`` returns ``gt_bboxes``; ``decode`` returns ``pred_bboxes``."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def encode(self, bboxes: Tensor, gt_bboxes: Tensor) -> Tensor:
        """Returns ``gt_bboxes`` unchanged."""
        return gt_bboxes

    def decode(self, bboxes: Tensor, pred_bboxes: Tensor) -> Tensor:
        """Returns ``pred_bboxes`` unchanged."""
        return pred_bboxes
