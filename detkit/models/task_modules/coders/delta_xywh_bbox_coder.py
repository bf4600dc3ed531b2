"""The (dx, dy, dw, dh) box coder of R-CNN: ``DeltaXYWHBBoxCoder``."""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor

from ....registry import BBOX_CODERS
from .base_bbox_coder import BaseBBoxCoder, MaxShape, clamp_to_shape


def bbox2delta(proposals: Tensor, gt: Tensor, means: Sequence[float] = (0., 0., 0., 0.),
               stds: Sequence[float] = (1., 1., 1., 1.)) -> Tensor:
    """Deltas of ``gt`` relative to ``proposals``, both (..., 4): (..., 4) float32.

    dx = (gx - px) / pw, dy = (gy - py) / ph, dw = ln(gw / pw), dh = ln(gh / ph), then
    normalised as (d - means) / stds.
    """
    if proposals.shape != gt.shape:
        raise ValueError(f'bbox2delta: proposals {tuple(proposals.shape)} and gt '
                         f'{tuple(gt.shape)} must have the same shape')
    proposals, gt = proposals.float(), gt.float()
    pxy = (proposals[..., :2] + proposals[..., 2:]) * 0.5
    pwh = proposals[..., 2:] - proposals[..., :2]
    gxy = (gt[..., :2] + gt[..., 2:]) * 0.5
    gwh = gt[..., 2:] - gt[..., :2]
    deltas = torch.cat([(gxy - pxy) / pwh, torch.log(gwh / pwh)], dim=-1)
    return (deltas - deltas.new_tensor(means)) / deltas.new_tensor(stds)


def delta2bbox(rois: Tensor, deltas: Tensor, means: Sequence[float] = (0., 0., 0., 0.),
               stds: Sequence[float] = (1., 1., 1., 1.), max_shape: MaxShape = None,
               wh_ratio_clip: float = 16 / 1000, clip_border: bool = True,
               add_ctr_clamp: bool = False, ctr_clamp: float = 32) -> Tensor:
    """Apply ``deltas`` to ``rois``.

    Args:
        rois (Tensor): (N, 4) or (B, N, 4) boxes.
        deltas (Tensor): (N, 4k) or (B, N, 4k); k > 1 for class-specific deltas.
        means, stds (tuple[float]): de-normalisation, d * stds + means.
        max_shape (tuple | list[tuple] | Tensor, optional): (H, W[, C]) to clip to, or
            one shape per image for batched input.
        wh_ratio_clip (float): |dw|, |dh| are clamped to |ln(wh_ratio_clip)| so no box
            grows or shrinks by more than 1000/16 times in one step.
        clip_border (bool): clip to ``max_shape``.
        add_ctr_clamp (bool): clamp the centre shift to +-``ctr_clamp`` pixels (and only
            the growth of w/h), as YOLOF does.

    Returns:
        Tensor: boxes of the shape of ``deltas``.
    """
    if deltas.numel() == 0:
        return deltas
    if rois.shape[:-1] != deltas.shape[:-1] or deltas.size(-1) % 4:
        raise ValueError(f'delta2bbox: rois {tuple(rois.shape)} and deltas '
                         f'{tuple(deltas.shape)} must match, with 4k delta columns')
    k = deltas.size(-1) // 4
    d = deltas.reshape(deltas.shape[:-1] + (k, 4))
    d = d * d.new_tensor(stds) + d.new_tensor(means)
    dxy, dwh = d[..., :2], d[..., 2:]
    r = rois[..., None, :].to(d.dtype)
    pxy = (r[..., :2] + r[..., 2:]) * 0.5
    pwh = r[..., 2:] - r[..., :2]
    dxy_wh = pwh * dxy
    max_ratio = abs(math.log(wh_ratio_clip))
    if add_ctr_clamp:
        dxy_wh = dxy_wh.clamp(min=-ctr_clamp, max=ctr_clamp)
        dwh = dwh.clamp(max=max_ratio)
    else:
        dwh = dwh.clamp(min=-max_ratio, max=max_ratio)
    gxy = pxy + dxy_wh
    gwh = pwh * dwh.exp()
    bboxes = torch.cat([gxy - gwh * 0.5, gxy + gwh * 0.5], dim=-1).reshape(deltas.shape)
    if clip_border and max_shape is not None:
        bboxes = clamp_to_shape(bboxes, max_shape)
    return bboxes


@BBOX_CODERS.register_module()
class DeltaXYWHBBoxCoder(BaseBBoxCoder):
    """Encode boxes as normalised (dx, dy, dw, dh) relative to proposals/anchors.

    Args:
        target_means (tuple[float]): subtracted from the deltas. Default zeros.
        target_stds (tuple[float]): the deltas are divided by them. Default ones.
        clip_border (bool): clip decoded boxes to the image. Default True.
        add_ctr_clamp (bool): clamp the decoded centre shift. Default False.
        ctr_clamp (int): bound of the centre shift in pixels. Default 32.
    """

    def __init__(self, target_means: Sequence[float] = (0., 0., 0., 0.),
                 target_stds: Sequence[float] = (1., 1., 1., 1.), clip_border: bool = True,
                 add_ctr_clamp: bool = False, ctr_clamp: float = 32):
        super().__init__()
        self.means = target_means
        self.stds = target_stds
        self.clip_border = clip_border
        self.add_ctr_clamp = add_ctr_clamp
        self.ctr_clamp = ctr_clamp

    def encode(self, bboxes: Tensor, gt_bboxes: Tensor) -> Tensor:
        """Deltas (..., 4) of ``gt_bboxes`` relative to ``bboxes``, both (..., 4)."""
        if bboxes.size(0) != gt_bboxes.size(0) or bboxes.size(-1) != 4 or gt_bboxes.size(-1) != 4:
            raise ValueError(f'DeltaXYWHBBoxCoder.encode: bboxes {tuple(bboxes.shape)} and '
                             f'gt_bboxes {tuple(gt_bboxes.shape)} must both be (N, 4)')
        return bbox2delta(bboxes, gt_bboxes, self.means, self.stds)

    def decode(self, bboxes: Tensor, pred_bboxes: Tensor, max_shape: MaxShape = None,
               wh_ratio_clip: float = 16 / 1000) -> Tensor:
        """Boxes from deltas.

        Args:
            bboxes (Tensor): (N, 4) or (B, N, 4) priors.
            pred_bboxes (Tensor): (N, 4k) or (B, N, 4k) deltas.
            max_shape: (H, W[, C]), or one per image for batched input.
            wh_ratio_clip (float): bound of the size change.

        Returns:
            Tensor: the shape of ``pred_bboxes``.
        """
        if pred_bboxes.size(0) != bboxes.size(0) or (
                pred_bboxes.ndim == 3 and pred_bboxes.size(1) != bboxes.size(1)):
            raise ValueError(f'DeltaXYWHBBoxCoder.decode: bboxes {tuple(bboxes.shape)} and '
                             f'pred_bboxes {tuple(pred_bboxes.shape)} do not match')
        return delta2bbox(bboxes, pred_bboxes, self.means, self.stds, max_shape, wh_ratio_clip,
                          self.clip_border, self.add_ctr_clamp, self.ctr_clamp)
