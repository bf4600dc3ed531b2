"""Base class of box coders: ``encode(bboxes, gt_bboxes)`` / ``decode(bboxes, preds)``."""
from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Sequence, Union

import torch
from torch import Tensor

MaxShape = Union[Sequence[int], Sequence[Sequence[int]], Tensor, None]


class BaseBBoxCoder(metaclass=ABCMeta):
    """A box coder turns boxes into regression targets relative to priors and back."""

    def __init__(self, **kwargs):  # noqa: B027 (coders take no common arguments)
        pass

    @abstractmethod
    def encode(self, bboxes: Tensor, gt_bboxes: Tensor) -> Tensor:
        """Regression targets of ``gt_bboxes`` relative to ``bboxes``."""

    @abstractmethod
    def decode(self, bboxes: Tensor, bboxes_pred: Tensor) -> Tensor:
        """Boxes from predictions ``bboxes_pred`` relative to ``bboxes``."""


def clamp_to_shape(bboxes: Tensor, max_shape: MaxShape) -> Tensor:
    """Clamp (..., 4k) boxes to [0, W] x [0, H].

    ``max_shape`` is one (H, W[, C]) for all boxes, or a (B, 2+) tensor / list of
    B shapes (one per image) for (B, N, 4k) boxes.
    """
    if not isinstance(max_shape, Tensor):
        max_shape = bboxes.new_tensor(max_shape)
    max_shape = max_shape[..., :2].type_as(bboxes)
    if max_shape.ndim == 2:
        if bboxes.ndim != 3 or max_shape.size(0) != bboxes.size(0):
            raise ValueError(f'per-image max_shape {tuple(max_shape.shape)} needs (B, N, 4) '
                             f'boxes with the same B, but got {tuple(bboxes.shape)}')
    # (H, W) -> (W, H, W, H, ...) with a box dim so it broadcasts over N
    max_xy = torch.cat([max_shape] * (bboxes.size(-1) // 2), dim=-1).flip(-1).unsqueeze(-2)
    zero = bboxes.new_tensor(0)
    bboxes = torch.where(bboxes < zero, zero, bboxes)
    return torch.where(bboxes > max_xy, max_xy, bboxes)
