"""The point-to-sides distance coder of FCOS-style heads."""
from __future__ import annotations

from typing import Optional

from torch import Tensor

from ....registry import BBOX_CODERS
from ....structures import bbox2distance, distance2bbox
from .base_bbox_coder import BaseBBoxCoder, MaxShape


@BBOX_CODERS.register_module()
class DistancePointBBoxCoder(BaseBBoxCoder):
    """Encode a box as (left, top, right, bottom) distances from a point.

    Args:
        clip_border (bool): clip decoded boxes to the image. Default True.
    """

    def __init__(self, clip_border: bool = True):
        super().__init__()
        self.clip_border = clip_border

    def encode(self, points: Tensor, gt_bboxes: Tensor, max_dis: Optional[float] = None,
               eps: float = 0.1) -> Tensor:
        """(N, 4) distances of (N, 4) ``gt_bboxes`` from (N, 2) ``points``, clamped to
        [0, max_dis - eps] when ``max_dis`` is given."""
        if points.size(0) != gt_bboxes.size(0) or points.size(-1) != 2 or gt_bboxes.size(-1) != 4:
            raise ValueError(f'DistancePointBBoxCoder.encode: points {tuple(points.shape)} must '
                             f'be (N, 2) and gt_bboxes {tuple(gt_bboxes.shape)} (N, 4)')
        return bbox2distance(points, gt_bboxes, max_dis, eps)

    def decode(self, points: Tensor, pred_bboxes: Tensor, max_shape: MaxShape = None) -> Tensor:
        """Boxes from distances: points (N, 2) or (B, N, 2), pred_bboxes (N, 4) or (B, N, 4)."""
        if (points.size(0) != pred_bboxes.size(0) or points.size(-1) != 2
                or pred_bboxes.size(-1) != 4):
            raise ValueError(f'DistancePointBBoxCoder.decode: points {tuple(points.shape)} '
                             f'and pred_bboxes {tuple(pred_bboxes.shape)} do not match')
        if not self.clip_border:
            max_shape = None
        return distance2bbox(points, pred_bboxes, max_shape)
