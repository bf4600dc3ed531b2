"""Anchor generator of YOLOv3 (anchors given as explicit (w, h) sizes per level)."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from ....registry import PRIOR_GENERATORS
from .anchor_generator import AnchorGenerator
from .utils import DeviceLike, pair, resolve_device


@PRIOR_GENERATORS.register_module()
class YOLOAnchorGenerator(AnchorGenerator):
    """YOLO anchors: explicit (w, h) base sizes, centred at the middle of each cell.

    Args:
        strides (list[int | tuple[int, int]]): per level.
        base_sizes (list[list[tuple[int, int]]]): per level, the (w, h) of each anchor;
            every level has the same number of anchors.
    """

    def __init__(self, strides: Sequence, base_sizes: Sequence[Sequence]):
        self.strides = [pair(s) for s in strides]
        self.centers = [(s[0] / 2., s[1] / 2.) for s in self.strides]
        if len(base_sizes) != len(self.strides):
            raise ValueError(f'YOLOAnchorGenerator: {len(base_sizes)} base_sizes levels for '
                             f'{len(self.strides)} strides')
        per_level = len(base_sizes[0])
        if any(len(level) != per_level for level in base_sizes):
            raise ValueError(f'YOLOAnchorGenerator: every level needs the same number of '
                             f'anchors, but got {[len(level) for level in base_sizes]}')
        self.base_sizes = [[pair(size) for size in level] for level in base_sizes]
        self.scale_major = True
        self.center_offset = 0
        self.base_anchors = self.gen_base_anchors()

    @property
    def num_levels(self) -> int:
        return len(self.base_sizes)

    def gen_base_anchors(self) -> list:
        """Per level (A, 4) anchors of the given (w, h) sizes."""
        return [self.gen_single_level_base_anchors(sizes, self.centers[i])
                for i, sizes in enumerate(self.base_sizes)]

    def gen_single_level_base_anchors(self, base_sizes_per_level: Sequence,
                                      center: Sequence[float] = None) -> Tensor:
        """(A, 4) anchors of sizes ``base_sizes_per_level`` [(w, h)] centred at ``center``."""
        cx, cy = center
        wh = torch.tensor(base_sizes_per_level, dtype=torch.float32)
        return torch.stack([cx - 0.5 * wh[:, 0], cy - 0.5 * wh[:, 1],
                            cx + 0.5 * wh[:, 0], cy + 0.5 * wh[:, 1]], dim=-1)

    def responsible_flags(self, featmap_sizes: Sequence[Sequence[int]], gt_bboxes: Tensor,
                          device: DeviceLike = None) -> list:
        """Per level (H_l * W_l * A,) uint8: 1 for the anchors of cells holding a gt centre.

        Args:
            featmap_sizes (list[tuple[int, int]]): (H, W) per level.
            gt_bboxes (Tensor): (G, 4).
        """
        if len(featmap_sizes) != self.num_levels:
            raise ValueError(f'YOLOAnchorGenerator has {self.num_levels} levels, but got '
                             f'{len(featmap_sizes)} feature map sizes')
        return [self.single_level_responsible_flags(featmap_sizes[i], gt_bboxes,
                                                    self.strides[i], self.num_base_priors[i],
                                                    device)
                for i in range(self.num_levels)]

    def single_level_responsible_flags(self, featmap_size: Sequence[int], gt_bboxes: Tensor,
                                       stride: Sequence[int], num_base_anchors: int,
                                       device: DeviceLike = None) -> Tensor:
        """(H * W * A,) uint8 responsibility flags of one level."""
        device = resolve_device(device)
        feat_h, feat_w = featmap_size
        cx = ((gt_bboxes[:, 0] + gt_bboxes[:, 2]) * 0.5).to(device)
        cy = ((gt_bboxes[:, 1] + gt_bboxes[:, 3]) * 0.5).to(device)
        gx = torch.floor(cx / stride[0]).long()
        gy = torch.floor(cy / stride[1]).long()
        grid = torch.zeros(feat_h * feat_w, dtype=torch.uint8, device=device)
        grid[gy * feat_w + gx] = 1
        return grid[:, None].expand(grid.size(0), num_base_anchors).reshape(-1)
