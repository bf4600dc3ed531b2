"""Point priors of anchor-free detectors (FCOS, ATSS-free heads, YOLOX, ...)."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from ....registry import PRIOR_GENERATORS
from .utils import DeviceLike, grid_valid_flags, meshgrid_flat, pair, resolve_device, valid_size_of


@PRIOR_GENERATORS.register_module()
class MlvlPointGenerator:
    """One point per feature cell at ((j + offset) * stride_w, (i + offset) * stride_h).

    Args:
        strides (list[int | tuple[int, int]]): per level, as (w, h).
        offset (float): offset of the point within its cell, in strides. Default 0.5.
    """

    def __init__(self, strides: Sequence, offset: float = 0.5):
        self.strides = [pair(s) for s in strides]
        self.offset = offset

    @property
    def num_levels(self) -> int:
        """int: number of feature levels."""
        return len(self.strides)

    @property
    def num_base_priors(self) -> list:
        """list[int]: one point per cell on every level."""
        return [1 for _ in self.strides]

    def grid_priors(self, featmap_sizes: Sequence[Sequence[int]],
                    dtype: torch.dtype = torch.float32, device: DeviceLike = None,
                    with_stride: bool = False) -> list:
        """Points of all levels: (H_l * W_l, 2) as (x, y), or (H_l * W_l, 4) as
        (x, y, stride_w, stride_h) when ``with_stride``."""
        if len(featmap_sizes) != self.num_levels:
            raise ValueError(f'MlvlPointGenerator has {self.num_levels} levels, but got '
                             f'{len(featmap_sizes)} feature map sizes')
        return [self.single_level_grid_priors(featmap_sizes[i], i, dtype, device, with_stride)
                for i in range(self.num_levels)]

    def single_level_grid_priors(self, featmap_size: Sequence[int], level_idx: int,
                                 dtype: torch.dtype = torch.float32, device: DeviceLike = None,
                                 with_stride: bool = False) -> Tensor:
        """Points of one level, row-major: (H * W, 2) or (H * W, 4)."""
        device = resolve_device(device)
        feat_h, feat_w = featmap_size
        stride_w, stride_h = self.strides[level_idx]
        shift_x = ((torch.arange(0, feat_w, device=device) + self.offset) * stride_w).to(dtype)
        shift_y = ((torch.arange(0, feat_h, device=device) + self.offset) * stride_h).to(dtype)
        xx, yy = meshgrid_flat(shift_x, shift_y)
        if not with_stride:
            return torch.stack([xx, yy], dim=-1)
        sw = xx.new_full((xx.shape[0],), stride_w).to(dtype)
        sh = xx.new_full((yy.shape[0],), stride_h).to(dtype)
        return torch.stack([xx, yy, sw, sh], dim=-1)

    def valid_flags(self, featmap_sizes: Sequence[Sequence[int]], pad_shape: Sequence[int],
                    device: DeviceLike = None) -> list:
        """Per level (H_l * W_l,) bool: False for points in the padding beyond ``pad_shape``."""
        if len(featmap_sizes) != self.num_levels:
            raise ValueError(f'MlvlPointGenerator has {self.num_levels} levels, but got '
                             f'{len(featmap_sizes)} feature map sizes')
        return [self.single_level_valid_flags(
                    featmap_sizes[i], valid_size_of(pad_shape, self.strides[i], featmap_sizes[i]),
                    device)
                for i in range(self.num_levels)]

    def single_level_valid_flags(self, featmap_size: Sequence[int], valid_size: Sequence[int],
                                 device: DeviceLike = None) -> Tensor:
        """(H * W,) bool for a (H, W) map whose first (valid_h, valid_w) cells are valid."""
        return grid_valid_flags(featmap_size, valid_size, 1, device)

    def sparse_priors(self, prior_idxs: Tensor, featmap_size: Sequence[int], level_idx: int,
                      dtype: torch.dtype = torch.float32, device: DeviceLike = None) -> Tensor:
        """Points at flat indices ``prior_idxs`` (K,) of the level's grid: (K, 2)."""
        height, width = featmap_size
        x = (prior_idxs % width + self.offset) * self.strides[level_idx][0]
        y = ((prior_idxs // width) % height + self.offset) * self.strides[level_idx][1]
        return torch.stack([x, y], 1).to(dtype).to(resolve_device(device))

    def __repr__(self) -> str:
        return f'{type(self).__name__}(strides={self.strides}, offset={self.offset})'
