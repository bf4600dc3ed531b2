"""Standard anchor generator for anchor-based detectors (RPN, RetinaNet, ...)."""
from __future__ import annotations

import warnings
from typing import Optional, Sequence

import numpy as np
import torch
from torch import Tensor

from ....registry import PRIOR_GENERATORS
from .utils import DeviceLike, grid_valid_flags, meshgrid_flat, pair, resolve_device, valid_size_of


def _as_tensor(values: Sequence[float]) -> Tensor:
    return torch.as_tensor(np.asarray(values, dtype=np.float64), dtype=torch.float32)


@PRIOR_GENERATORS.register_module()
class AnchorGenerator:
    """Anchors of every FPN level: A = len(ratios) * len(scales) per cell.

    A base anchor of level l has w = base_size * scale / sqrt(ratio) and
    h = base_size * scale * sqrt(ratio) (ratio = h / w), centred at
    ``center_offset * base_size`` (or at ``centers[l]``). Anchors of cell (i, j) are
    the base anchors shifted by (j * stride_w, i * stride_h). Order: row-major
    cells, then A anchors per cell.

    Args:
        strides (list[int | tuple[int, int]]): per level, as (w, h).
        ratios (list[float]): height / width ratios.
        scales (list[float], optional): anchor scales; or give
            ``octave_base_scale`` and ``scales_per_octave`` instead.
        base_sizes (list[int], optional): per level; default min(stride).
        scale_major (bool): order anchors scale-fastest-within-ratio (True: all
            scales of ratio 0 first) or ratio-fastest (False).
        octave_base_scale (int, optional): scales are
            octave_base_scale * 2^(i / scales_per_octave), i < scales_per_octave.
        scales_per_octave (int, optional).
        centers (list[tuple[float, float]], optional): base anchor centres per level.
        center_offset (float): centre as a fraction of base_size, in [0, 1].

    Example:
        >>> gen = AnchorGenerator([16], [1.], [1.], [9])
        >>> gen.grid_priors([(2, 2)], device='cpu')
        [tensor([[-4.5000, -4.5000,  4.5000,  4.5000],
                [11.5000, -4.5000, 20.5000,  4.5000],
                [-4.5000, 11.5000,  4.5000, 20.5000],
                [11.5000, 11.5000, 20.5000, 20.5000]])]
    """

    def __init__(self, strides: Sequence, ratios: Sequence[float],
                 scales: Optional[Sequence[float]] = None,
                 base_sizes: Optional[Sequence[int]] = None, scale_major: bool = True,
                 octave_base_scale: Optional[float] = None,
                 scales_per_octave: Optional[int] = None,
                 centers: Optional[Sequence] = None, center_offset: float = 0.):
        name = type(self).__name__
        if center_offset != 0 and centers is not None:
            raise ValueError(f'{name}: centers cannot be set when center_offset != 0 '
                             f'(got centers={centers}, center_offset={center_offset})')
        if not 0 <= center_offset <= 1:
            raise ValueError(f'{name}: center_offset must be in [0, 1], but got {center_offset}')
        if centers is not None and len(centers) != len(strides):
            raise ValueError(f'{name}: {len(centers)} centers for {len(strides)} strides')
        self.strides = [pair(s) for s in strides]
        self.base_sizes = ([min(s) for s in self.strides] if base_sizes is None
                           else list(base_sizes))
        if len(self.base_sizes) != len(self.strides):
            raise ValueError(f'{name}: {len(self.base_sizes)} base_sizes for '
                             f'{len(self.strides)} strides')
        octave = octave_base_scale is not None and scales_per_octave is not None
        if octave == (scales is not None):
            raise ValueError(f'{name}: give either scales or octave_base_scale with '
                             f'scales_per_octave, not both and not neither')
        if scales is None:
            scales = [octave_base_scale * 2 ** (i / scales_per_octave)
                      for i in range(scales_per_octave)]
        self.scales = _as_tensor(scales)
        self.octave_base_scale = octave_base_scale
        self.scales_per_octave = scales_per_octave
        self.ratios = _as_tensor(ratios)
        self.scale_major = scale_major
        self.centers = centers
        self.center_offset = center_offset
        self.base_anchors = self.gen_base_anchors()

    # -- sizes -------------------------------------------------------------------------
    @property
    def num_base_priors(self) -> list:
        """list[int]: number of anchors per cell, per level."""
        return [a.size(0) for a in self.base_anchors]

    @property
    def num_base_anchors(self) -> list:
        """Deprecated alias of :attr:`num_base_priors`."""
        return self.num_base_priors

    @property
    def num_levels(self) -> int:
        """int: number of feature levels."""
        return len(self.strides)

    # -- base anchors ------------------------------------------------------------------
    def gen_base_anchors(self) -> list:
        """list[Tensor]: the (A, 4) base anchors of each level."""
        return [self.gen_single_level_base_anchors(
                    size, self.scales, self.ratios,
                    None if self.centers is None else self.centers[i])
                for i, size in enumerate(self.base_sizes)]

    def _base_wh(self, base_size: float, scales: Tensor, ratios: Tensor) -> tuple:
        h_ratios = torch.sqrt(ratios)
        w_ratios = 1 / h_ratios
        if self.scale_major:
            ws = (base_size * w_ratios[:, None] * scales[None, :]).view(-1)
            hs = (base_size * h_ratios[:, None] * scales[None, :]).view(-1)
        else:
            ws = (base_size * scales[:, None] * w_ratios[None, :]).view(-1)
            hs = (base_size * scales[:, None] * h_ratios[None, :]).view(-1)
        return ws, hs

    def gen_single_level_base_anchors(self, base_size: float, scales: Tensor, ratios: Tensor,
                                      center: Optional[Sequence[float]] = None) -> Tensor:
        """(A, 4) anchors of one level, centred at ``center`` (x, y) or the offset."""
        if center is None:
            cx = cy = self.center_offset * base_size
        else:
            cx, cy = center
        ws, hs = self._base_wh(base_size, scales, ratios)
        return torch.stack([cx - 0.5 * ws, cy - 0.5 * hs, cx + 0.5 * ws, cy + 0.5 * hs], dim=-1)

    # -- grid --------------------------------------------------------------------------
    def grid_priors(self, featmap_sizes: Sequence[Sequence[int]],
                    dtype: torch.dtype = torch.float32, device: DeviceLike = None) -> list:
        """Anchors of all levels.

        Args:
            featmap_sizes (list[tuple[int, int]]): (H, W) per level.
            dtype (torch.dtype): of the anchors.
            device: of the anchors (None: CUDA if available, else CPU).

        Returns:
            list[Tensor]: (H_l * W_l * A_l, 4) per level.
        """
        if len(featmap_sizes) != self.num_levels:
            raise ValueError(f'{type(self).__name__} has {self.num_levels} levels, but got '
                             f'{len(featmap_sizes)} feature map sizes')
        return [self.single_level_grid_priors(featmap_sizes[i], i, dtype, device)
                for i in range(self.num_levels)]

    def single_level_grid_priors(self, featmap_size: Sequence[int], level_idx: int,
                                 dtype: torch.dtype = torch.float32,
                                 device: DeviceLike = None) -> Tensor:
        """(H * W * A, 4) anchors of level ``level_idx`` for a (H, W) feature map."""
        device = resolve_device(device)
        base = self.base_anchors[level_idx].to(device=device, dtype=dtype)
        feat_h, feat_w = featmap_size
        stride_w, stride_h = self.strides[level_idx]
        shift_x = torch.arange(0, feat_w, device=device).to(dtype) * stride_w
        shift_y = torch.arange(0, feat_h, device=device).to(dtype) * stride_h
        xx, yy = meshgrid_flat(shift_x, shift_y)
        shifts = torch.stack([xx, yy, xx, yy], dim=-1)
        return (base[None, :, :] + shifts[:, None, :]).view(-1, 4)

    def sparse_priors(self, prior_idxs: Tensor, featmap_size: Sequence[int], level_idx: int,
                      dtype: torch.dtype = torch.float32, device: DeviceLike = None) -> Tensor:
        """Anchors at flat indices ``prior_idxs`` (K,) of the level's grid: (K, 4)."""
        device = resolve_device(device)
        height, width = featmap_size
        num_base = self.num_base_priors[level_idx]
        base_id = prior_idxs % num_base
        x = (prior_idxs // num_base) % width * self.strides[level_idx][0]
        y = (prior_idxs // width // num_base) % height * self.strides[level_idx][1]
        shifts = torch.stack([x, y, x, y], 1).to(dtype=dtype, device=device)
        return shifts + self.base_anchors[level_idx][base_id.cpu(), :].to(device=device,
                                                                           dtype=dtype)

    def grid_anchors(self, featmap_sizes: Sequence[Sequence[int]],
                     device: DeviceLike = None) -> list:
        """Deprecated: use :meth:`grid_priors`."""
        warnings.warn('grid_anchors is deprecated, use grid_priors', DeprecationWarning,
                      stacklevel=2)
        return self.grid_priors(featmap_sizes, dtype=self.base_anchors[0].dtype, device=device)

    def single_level_grid_anchors(self, base_anchors: Tensor, featmap_size: Sequence[int],
                                  stride: Sequence[int] = (16, 16),
                                  device: DeviceLike = None) -> Tensor:
        """Deprecated: shift the given (A, 4) ``base_anchors`` over a grid of ``stride``."""
        warnings.warn('single_level_grid_anchors is deprecated, use single_level_grid_priors',
                      DeprecationWarning, stacklevel=2)
        device = resolve_device(device)
        feat_h, feat_w = featmap_size
        shift_x = torch.arange(0, feat_w, device=device).to(base_anchors) * stride[0]
        shift_y = torch.arange(0, feat_h, device=device).to(base_anchors) * stride[1]
        xx, yy = meshgrid_flat(shift_x, shift_y)
        shifts = torch.stack([xx, yy, xx, yy], dim=-1)
        return (base_anchors.to(device)[None] + shifts[:, None]).view(-1, 4)

    # -- validity ----------------------------------------------------------------------
    def valid_flags(self, featmap_sizes: Sequence[Sequence[int]], pad_shape: Sequence[int],
                    device: DeviceLike = None) -> list:
        """Per level (H_l * W_l * A_l,) bool: False for anchors of cells in the padding
        beyond ``pad_shape`` (H, W, ...) of this image."""
        if len(featmap_sizes) != self.num_levels:
            raise ValueError(f'{type(self).__name__} has {self.num_levels} levels, but got '
                             f'{len(featmap_sizes)} feature map sizes')
        return [self.single_level_valid_flags(
                    featmap_sizes[i], valid_size_of(pad_shape, self.strides[i], featmap_sizes[i]),
                    self.num_base_priors[i], device)
                for i in range(self.num_levels)]

    def single_level_valid_flags(self, featmap_size: Sequence[int], valid_size: Sequence[int],
                                 num_base_anchors: int, device: DeviceLike = None) -> Tensor:
        """(H * W * A,) bool for a (H, W) map whose first (valid_h, valid_w) cells are valid."""
        return grid_valid_flags(featmap_size, valid_size, num_base_anchors, device)

    def __repr__(self) -> str:
        indent = '    '
        fields = ['strides', 'ratios', 'scales', 'base_sizes', 'scale_major',
                  'octave_base_scale', 'scales_per_octave', 'num_levels', 'centers',
                  'center_offset']
        body = ''.join(f'{indent}{f}={getattr(self, f, None)},\n' for f in fields)
        return f'{type(self).__name__}(\n{body})'
