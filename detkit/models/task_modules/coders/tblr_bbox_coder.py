"""The (top, bottom, left, right) box coder of FSAF: ``TBLRBBoxCoder``."""
from __future__ import annotations

from typing import Sequence, Union

import torch
from torch import Tensor

from ....registry import BBOX_CODERS
from .base_bbox_coder import BaseBBoxCoder, MaxShape, clamp_to_shape


def _normalizer(normalizer: Union[float, Sequence[float]], ref: Tensor) -> Union[float, Tensor]:
    if isinstance(normalizer, (int, float)):
        return float(normalizer)
    if len(normalizer) != 4:
        raise ValueError(f'TBLR normalizer must be a float or 4 floats, but got {normalizer!r}')
    return ref.new_tensor(normalizer)


def bboxes2tblr(priors: Tensor, gts: Tensor, normalizer: Union[float, Sequence[float]] = 4.0,
                normalize_by_wh: bool = True) -> Tensor:
    """Distances from each prior's centre to its gt's top, bottom, left, right sides.

    Args:
        priors (Tensor): (N, 4). gts (Tensor): (N, 4).
        normalizer (float | list[float]): divisor (per side when a list).
        normalize_by_wh (bool): divide t/b by the prior height and l/r by its width.

    Returns:
        Tensor: (N, 4) as (top, bottom, left, right).
    """
    if priors.size(0) != gts.size(0):
        raise ValueError(f'bboxes2tblr: {priors.size(0)} priors but {gts.size(0)} gts')
    norm = _normalizer(normalizer, priors)
    cxy = (priors[:, 0:2] + priors[:, 2:4]) / 2
    loc = torch.stack([cxy[:, 1] - gts[:, 1], gts[:, 3] - cxy[:, 1],
                       cxy[:, 0] - gts[:, 0], gts[:, 2] - cxy[:, 0]], dim=1)
    if normalize_by_wh:
        wh = priors[:, 2:4] - priors[:, 0:2]
        loc = loc / torch.stack([wh[:, 1], wh[:, 1], wh[:, 0], wh[:, 0]], dim=1)
    return loc / norm


def tblr2bboxes(priors: Tensor, tblr: Tensor, normalizer: Union[float, Sequence[float]] = 4.0,
                normalize_by_wh: bool = True, max_shape: MaxShape = None,
                clip_border: bool = True) -> Tensor:
    """Inverse of :func:`bboxes2tblr` for (N, 4) or (B, N, 4) inputs; boxes of tblr's shape."""
    if priors.shape[:-1] != tblr.shape[:-1]:
        raise ValueError(f'tblr2bboxes: priors {tuple(priors.shape)} and tblr '
                         f'{tuple(tblr.shape)} do not match')
    loc = tblr * _normalizer(normalizer, priors)
    cxy = (priors[..., 0:2] + priors[..., 2:4]) / 2
    if normalize_by_wh:
        wh = priors[..., 2:4] - priors[..., 0:2]
        loc = torch.cat([wh[..., 1:2] * loc[..., :2], wh[..., 0:1] * loc[..., 2:]], dim=-1)
    top, bottom, left, right = loc.unbind(-1)
    bboxes = torch.stack([cxy[..., 0] - left, cxy[..., 1] - top,
                          cxy[..., 0] + right, cxy[..., 1] + bottom], dim=-1)
    if clip_border and max_shape is not None:
        bboxes = clamp_to_shape(bboxes, max_shape)
    return bboxes


@BBOX_CODERS.register_module()
class TBLRBBoxCoder(BaseBBoxCoder):
    """Encode boxes as normalised (top, bottom, left, right) distances from prior centres.

    Args:
        normalizer (float | list[float]): Default 4.0.
        clip_border (bool): clip decoded boxes to the image. Default True.
    """

    def __init__(self, normalizer: Union[float, Sequence[float]] = 4.0,
                 clip_border: bool = True):
        super().__init__()
        self.normalizer = normalizer
        self.clip_border = clip_border

    def encode(self, bboxes: Tensor, gt_bboxes: Tensor) -> Tensor:
        """(N, 4) tblr of ``gt_bboxes`` relative to the (N, 4) priors ``bboxes``."""
        return bboxes2tblr(bboxes, gt_bboxes, normalizer=self.normalizer)

    def decode(self, bboxes: Tensor, pred_bboxes: Tensor, max_shape: MaxShape = None) -> Tensor:
        """Boxes (..., N, 4) from tblr predictions (..., N, 4) on priors (..., N, 4)."""
        return tblr2bboxes(bboxes, pred_bboxes, normalizer=self.normalizer,
                           max_shape=max_shape, clip_border=self.clip_border)
