"""The YOLOv3 box coder: centre offsets within a cell and log size ratios."""
from __future__ import annotations

from typing import Union

import torch
from torch import Tensor

from ....registry import BBOX_CODERS
from .base_bbox_coder import BaseBBoxCoder


@BBOX_CODERS.register_module()
class YOLOBBoxCoder(BaseBBoxCoder):
    """Encode a gt as (x, y, w, h): its centre offset from the anchor centre in strides
    plus 0.5 (so a sigmoid in (0, 1) can predict it) and ln(gt size / anchor size).

    Args:
        eps (float): clamp of the centre targets to [eps, 1 - eps] and of the size
            ratios to >= eps. Default 1e-6.
    """

    def __init__(self, eps: float = 1e-6):
        super().__init__()
        self.eps = eps

    def encode(self, bboxes: Tensor, gt_bboxes: Tensor, stride: Union[Tensor, int]) -> Tensor:
        """Targets (..., 4) of ``gt_bboxes`` (..., 4) relative to anchors ``bboxes`` (..., 4)."""
        if bboxes.size(0) != gt_bboxes.size(0) or bboxes.size(-1) != 4 or gt_bboxes.size(-1) != 4:
            raise ValueError(f'YOLOBBoxCoder.encode: bboxes {tuple(bboxes.shape)} and gt_bboxes '
                             f'{tuple(gt_bboxes.shape)} must both be (N, 4)')
        gxy = (gt_bboxes[..., :2] + gt_bboxes[..., 2:]) * 0.5
        gwh = gt_bboxes[..., 2:] - gt_bboxes[..., :2]
        axy = (bboxes[..., :2] + bboxes[..., 2:]) * 0.5
        awh = bboxes[..., 2:] - bboxes[..., :2]
        if isinstance(stride, Tensor) and stride.dim() == bboxes.dim() - 1:
            stride = stride[..., None]
        wh_t = torch.log((gwh / awh).clamp(min=self.eps))
        xy_t = ((gxy - axy) / stride + 0.5).clamp(self.eps, 1 - self.eps)
        return torch.cat([xy_t, wh_t], dim=-1)

    def decode(self, bboxes: Tensor, pred_bboxes: Tensor, stride: Union[Tensor, int]) -> Tensor:
        """Boxes (..., 4) from predictions (..., 4) (sigmoid-ed x, y; raw w, h) on anchors."""
        if pred_bboxes.size(-1) != 4 or bboxes.size(-1) != 4:
            raise ValueError(f'YOLOBBoxCoder.decode: bboxes {tuple(bboxes.shape)} and '
                             f'pred_bboxes {tuple(pred_bboxes.shape)} must end in 4')
        if isinstance(stride, Tensor) and stride.dim() == bboxes.dim() - 1:
            stride = stride[..., None]
        cxy = (bboxes[..., :2] + bboxes[..., 2:]) * 0.5 + (pred_bboxes[..., :2] - 0.5) * stride
        half = (bboxes[..., 2:] - bboxes[..., :2]) * 0.5 * pred_bboxes[..., 2:].exp()
        return torch.cat([cxy - half, cxy + half], dim=-1)
