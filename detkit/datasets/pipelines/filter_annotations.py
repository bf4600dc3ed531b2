"""FilterAnnotations: drop instances with too small boxes or masks."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from ...registry import PIPELINES
from ._utils import require


@PIPELINES.register_module()
class FilterAnnotations:
    """Keep instances whose box is wider and taller than ``min_gt_bbox_wh`` and/or
    whose mask area is at least ``min_gt_mask_area``.

    Filters ``gt_bboxes``, ``gt_labels`` and ``gt_masks`` alike.

    Args:
        min_gt_bbox_wh (tuple[float]): (w, h) minimum; sizes must be strictly larger.
        min_gt_mask_area (int): minimum number of mask pixels.
        by_box (bool): filter by box size.
        by_mask (bool): filter by mask area.
        keep_empty (bool): when no instance is left, return None (drop the
            image); when False, keep the image with no instances.
    """

    def __init__(self, min_gt_bbox_wh: Sequence[float] = (1., 1.), min_gt_mask_area: int = 1,
                 by_box: bool = True, by_mask: bool = False, keep_empty: bool = True):
        if not (by_box or by_mask):
            raise ValueError('FilterAnnotations: at least one of by_box and by_mask must be True')
        self.min_gt_bbox_wh = min_gt_bbox_wh
        self.min_gt_mask_area = min_gt_mask_area
        self.by_box = by_box
        self.by_mask = by_mask
        self.keep_empty = keep_empty

    def __call__(self, results: dict) -> Optional[dict]:
        tests = []
        if self.by_box:
            require(results, 'gt_bboxes', 'FilterAnnotations')
            boxes = results['gt_bboxes']
            w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
            tests.append((w > self.min_gt_bbox_wh[0]) & (h > self.min_gt_bbox_wh[1]))
        if self.by_mask:
            require(results, 'gt_masks', 'FilterAnnotations')
            tests.append(np.asarray(results['gt_masks'].areas) >= self.min_gt_mask_area)
        if len(tests[0]) == 0:
            return results
        keep = np.logical_and.reduce(tests)
        for key in ('gt_bboxes', 'gt_labels', 'gt_masks'):
            if key in results:
                results[key] = results[key][keep]
        if not keep.any() and self.keep_empty:
            return None
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(min_gt_bbox_wh={self.min_gt_bbox_wh}, '
                f'min_gt_mask_area={self.min_gt_mask_area}, by_box={self.by_box}, '
                f'by_mask={self.by_mask}, keep_empty={self.keep_empty})')
