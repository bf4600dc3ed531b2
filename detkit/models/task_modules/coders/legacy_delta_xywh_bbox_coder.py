"""MMDetection 1.x delta coder ("+ 1" pixel convention), to run 1.x models."""
from __future__ import annotations

import math
from typing import Optional, Sequence

import torch
from torch import Tensor

from ....registry import BBOX_CODERS
from .base_bbox_coder import BaseBBoxCoder


def legacy_bbox2delta(proposals: Tensor, gt: Tensor, means: Sequence[float] = (0., 0., 0., 0.),
                      stds: Sequence[float] = (1., 1., 1., 1.)) -> Tensor:
    """As ``bbox2delta`` with widths/heights x2 - x1 + 1. (..., 4) -> (..., 4)."""
    if proposals.shape != gt.shape:
        raise ValueError(f'legacy_bbox2delta: proposals {tuple(proposals.shape)} and gt '
                         f'{tuple(gt.shape)} must have the same shape')
    proposals, gt = proposals.float(), gt.float()
    pxy = (proposals[..., :2] + proposals[..., 2:]) * 0.5
    pwh = proposals[..., 2:] - proposals[..., :2] + 1.0
    gxy = (gt[..., :2] + gt[..., 2:]) * 0.5
    gwh = gt[..., 2:] - gt[..., :2] + 1.0
    deltas = torch.cat([(gxy - pxy) / pwh, torch.log(gwh / pwh)], dim=-1)
    return (deltas - deltas.new_tensor(means)) / deltas.new_tensor(stds)


def legacy_delta2bbox(rois: Tensor, deltas: Tensor, means: Sequence[float] = (0., 0., 0., 0.),
                      stds: Sequence[float] = (1., 1., 1., 1.),
                      max_shape: Optional[Sequence[int]] = None,
                      wh_ratio_clip: float = 16 / 1000) -> Tensor:
    """Apply (N, 4k) deltas to (N, 4) rois with the 1.x convention; clip to
    [0, W - 1] x [0, H - 1]. Returns (N, 4k)."""
    k = deltas.size(1) // 4
    d = deltas.reshape(-1, k, 4) * deltas.new_tensor(stds) + deltas.new_tensor(means)
    max_ratio = abs(math.log(wh_ratio_clip))
    dxy, dwh = d[..., :2], d[..., 2:].clamp(min=-max_ratio, max=max_ratio)
    r = rois[:, None, :].to(d.dtype)
    pxy = (r[..., :2] + r[..., 2:]) * 0.5
    pwh = r[..., 2:] - r[..., :2] + 1.0
    gwh = pwh * dwh.exp()
    gxy = pxy + pwh * dxy
    x1y1 = gxy - gwh * 0.5 + 0.5
    x2y2 = gxy + gwh * 0.5 - 0.5
    if max_shape is not None:
        hi = d.new_tensor([max_shape[1] - 1, max_shape[0] - 1])
        x1y1 = torch.min(x1y1.clamp(min=0), hi)
        x2y2 = torch.min(x2y2.clamp(min=0), hi)
    return torch.cat([x1y1, x2y2], dim=-1).reshape(deltas.shape)


@BBOX_CODERS.register_module()
class LegacyDeltaXYWHBBoxCoder(BaseBBoxCoder):
    """Delta coder of MMDetection 1.x (w = x2 - x1 + 1).

    Args:
        target_means (tuple[float]). target_stds (tuple[float]).
    """

    def __init__(self, target_means: Sequence[float] = (0., 0., 0., 0.),
                 target_stds: Sequence[float] = (1., 1., 1., 1.)):
        super().__init__()
        self.means = target_means
        self.stds = target_stds

    def encode(self, bboxes: Tensor, gt_bboxes: Tensor) -> Tensor:
        """(N, 4) deltas of ``gt_bboxes`` relative to ``bboxes``."""
        return legacy_bbox2delta(bboxes, gt_bboxes, self.means, self.stds)

    def decode(self, bboxes: Tensor, pred_bboxes: Tensor,
               max_shape: Optional[Sequence[int]] = None,
               wh_ratio_clip: float = 16 / 1000) -> Tensor:
        """(N, 4k) boxes from (N, 4k) deltas on (N, 4) ``bboxes``."""
        if pred_bboxes.size(0) != bboxes.size(0):
            raise ValueError(f'LegacyDeltaXYWHBBoxCoder.decode: {bboxes.size(0)} bboxes but '
                             f'{pred_bboxes.size(0)} predictions')
        return legacy_delta2bbox(bboxes, pred_bboxes, self.means, self.stds, max_shape,
                                 wh_ratio_clip)
