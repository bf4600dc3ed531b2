"""Anchor generator of SSD (https://arxiv.org/abs/1512.02325)."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import torch

from ....registry import PRIOR_GENERATORS
from .anchor_generator import AnchorGenerator, _as_tensor
from .utils import pair

# smallest level of the hard-coded SSD settings: (input_size, basesize_ratio_range[0])
# -> (min, max) size in percent of the input
_FIRST_LEVEL = {(300, 0.15): (7, 15), (300, 0.2): (10, 20),
                (512, 0.1): (4, 10), (512, 0.15): (7, 15)}


def _ssd_sizes(input_size: int, ratio_range: Sequence[float], num_levels: int) -> tuple:
    """SSD's min/max anchor sizes per level, as in the original Caffe implementation."""
    if not (isinstance(ratio_range, (tuple, list)) and len(ratio_range) == 2
            and all(isinstance(r, float) for r in ratio_range)):
        raise ValueError(f'SSDAnchorGenerator: basesize_ratio_range must be a pair of floats, '
                         f'but got {ratio_range!r}')
    key = (input_size, ratio_range[0])
    if key not in _FIRST_LEVEL:
        raise ValueError(f'SSDAnchorGenerator: without min_sizes/max_sizes, (input_size, '
                         f'basesize_ratio_range[0]) must be one of {sorted(_FIRST_LEVEL)}, '
                         f'but got {key}')
    min_ratio, max_ratio = int(ratio_range[0] * 100), int(ratio_range[1] * 100)
    step = int(np.floor(max_ratio - min_ratio) / (num_levels - 2))
    min_sizes, max_sizes = [], []
    for ratio in range(min_ratio, max_ratio + 1, step):
        min_sizes.append(int(input_size * ratio / 100))
        max_sizes.append(int(input_size * (ratio + step) / 100))
    lo, hi = _FIRST_LEVEL[key]
    min_sizes.insert(0, int(input_size * lo / 100))
    max_sizes.insert(0, int(input_size * hi / 100))
    return min_sizes, max_sizes


@PRIOR_GENERATORS.register_module()
class SSDAnchorGenerator(AnchorGenerator):
    """SSD anchors: per level a small square (min_size), a large square
    (sqrt(min_size * max_size)) and, per ratio r, boxes of aspect 1/r and r; centred
    at the middle of each stride cell.

    Args:
        strides (list[int | tuple[int, int]]): per level.
        ratios (list[list[int]]): extra aspect ratios per level, e.g. [[2], [2, 3], ...].
        min_sizes, max_sizes (list[int], optional): per level; when omitted they follow
            SSD's rule from ``basesize_ratio_range`` and ``input_size`` (300 or 512).
        basesize_ratio_range (tuple[float, float]): sizes as fractions of the input.
        input_size (int): 300 or 512 when the sizes are not given.
        scale_major (bool): see :class:`AnchorGenerator`.
    """

    def __init__(self, strides: Sequence, ratios: Sequence[Sequence[float]],
                 min_sizes: Optional[Sequence[int]] = None,
                 max_sizes: Optional[Sequence[int]] = None,
                 basesize_ratio_range: Sequence[float] = (0.15, 0.9), input_size: int = 300,
                 scale_major: bool = True):
        if len(strides) != len(ratios):
            raise ValueError(f'SSDAnchorGenerator: {len(ratios)} ratio lists for '
                             f'{len(strides)} strides')
        if (min_sizes is None) != (max_sizes is None):
            raise ValueError('SSDAnchorGenerator: give both min_sizes and max_sizes, or neither')
        self.strides = [pair(s) for s in strides]
        self.centers = [(s[0] / 2., s[1] / 2.) for s in self.strides]
        self.input_size = input_size
        self.basesize_ratio_range = basesize_ratio_range
        if min_sizes is None:
            min_sizes, max_sizes = _ssd_sizes(input_size, basesize_ratio_range, len(strides))
        if not len(min_sizes) == len(max_sizes) == len(strides):
            raise ValueError(f'SSDAnchorGenerator: {len(min_sizes)} min_sizes and '
                             f'{len(max_sizes)} max_sizes for {len(strides)} strides')
        self.scales = [_as_tensor([1., np.sqrt(max_sizes[k] / min_sizes[k])])
                       for k in range(len(strides))]
        self.ratios = [_as_tensor([1.] + [v for r in ratios[k] for v in (1 / r, r)])
                       for k in range(len(strides))]
        self.base_sizes = list(min_sizes)
        self.min_sizes, self.max_sizes = list(min_sizes), list(max_sizes)
        self.scale_major = scale_major
        self.center_offset = 0
        self.octave_base_scale = None
        self.scales_per_octave = None
        self.base_anchors = self.gen_base_anchors()

    def gen_base_anchors(self) -> list:
        """Per level: [small square, large square, ratio anchors...] of the small scale."""
        out = []
        for i, size in enumerate(self.base_sizes):
            anchors = self.gen_single_level_base_anchors(size, self.scales[i], self.ratios[i],
                                                         self.centers[i])
            # with scale_major=False (all SSD configs) rows are [s0 r0..r(n-1), s1 r0..];
            # keep s0 r0, s1 r0, then s0 r1..r(n-1). The same rows are picked with
            # scale_major=True, as MMDetection does.
            n = len(self.ratios[i])
            keep = [0, n] + list(range(1, n))
            out.append(anchors[torch.as_tensor(keep, dtype=torch.long)])
        return out
