"""Expand: place the image at a random spot of a larger canvas filled with the mean (SSD)."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from detkit.registry import PIPELINES

from ._augment_utils import check_prob, check_single_img_field, require, set_img_shape


@PIPELINES.register_module()
class Expand:
    """Randomly place the image on a canvas of ``ratio`` times its size, filled with ``mean``.

    Args:
        mean (tuple): per-channel fill value, given in RGB order when ``to_rgb`` (it is
            reversed to match the BGR image), else in the image's order.
        to_rgb (bool): whether ``mean`` is in RGB order.
        ratio_range (tuple[float]): (min, max) of the expand ratio.
        seg_ignore_label (int, optional): fill value of the semantic maps in ``seg_fields``.
        prob (float): probability of expanding.

    Draws: ``uniform(0, 1)`` against ``prob``; ``ratio = uniform(*ratio_range)``;
    ``left = int(uniform(0, w * ratio - w))``; ``top = int(uniform(0, h * ratio - h))``.
    The canvas is ``(int(h * ratio), int(w * ratio))``; boxes in ``bbox_fields`` move by
    ``(left, top)``, masks in ``mask_fields`` are expanded with ``masks.expand``.
    ``img_shape`` (and ``pad_shape`` when present) become the canvas shape; MMDetection
    leaves them stale for the following Resize to overwrite.
    """

    def __init__(self, mean: Sequence[float] = (0, 0, 0), to_rgb: bool = True,
                 ratio_range: Sequence[float] = (1, 4), seg_ignore_label: Optional[int] = None,
                 prob: float = 0.5):
        check_prob(prob, 'Expand')
        self.to_rgb = to_rgb
        self.ratio_range = ratio_range
        self.mean = tuple(mean[::-1]) if to_rgb else tuple(mean)
        self.min_ratio, self.max_ratio = ratio_range
        if self.min_ratio < 1 or self.min_ratio > self.max_ratio:
            raise ValueError(f'Expand: ratio_range must be (min, max) with 1 <= min <= max, '
                             f'but got {ratio_range}')
        self.seg_ignore_label = seg_ignore_label
        self.prob = prob

    def __call__(self, results: dict) -> dict:
        if np.random.uniform(0, 1) > self.prob:
            return results
        require(results, 'img', type(self).__name__)
        check_single_img_field(results, type(self).__name__)
        img = results['img']
        h, w, c = img.shape
        ratio = np.random.uniform(self.min_ratio, self.max_ratio)
        out_h, out_w = int(h * ratio), int(w * ratio)
        expand_img = np.empty((out_h, out_w, c), img.dtype)
        expand_img[...] = np.asarray(self.mean, dtype=np.float64).astype(img.dtype)
        left = int(np.random.uniform(0, w * ratio - w))
        top = int(np.random.uniform(0, h * ratio - h))
        expand_img[top:top + h, left:left + w] = img
        results['img'] = expand_img
        set_img_shape(results, expand_img)

        for key in results.get('bbox_fields', []):
            boxes = results[key]
            results[key] = boxes + np.tile((left, top), 2).astype(boxes.dtype)
        for key in results.get('mask_fields', []):
            results[key] = results[key].expand(out_h, out_w, top, left)
        for key in results.get('seg_fields', []):
            seg = results[key]
            if self.seg_ignore_label is None:
                raise ValueError(f'Expand: seg_ignore_label must be set to expand the semantic '
                                 f'map {key!r}')
            expand_seg = np.full((out_h, out_w), self.seg_ignore_label, dtype=seg.dtype)
            expand_seg[top:top + h, left:left + w] = seg
            results[key] = expand_seg
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(mean={self.mean}, to_rgb={self.to_rgb}, '
                f'ratio_range={self.ratio_range}, seg_ignore_label={self.seg_ignore_label}, '
                f'prob={self.prob})')
