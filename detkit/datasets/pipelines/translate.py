"""Translate: AutoAugment's shift of the image, boxes, masks and semantic maps."""
from __future__ import annotations

from typing import Union

import numpy as np

from detkit.registry import PIPELINES

from ._augment_utils import (
    check_level,
    check_prob,
    fill_value3,
    filter_small_boxes,
    level_to_value,
    random_negative,
    require,
)
from ._image import imtranslate

_DIRECTIONS = ('horizontal', 'vertical')


@PIPELINES.register_module()
class Translate:
    """Shift the image (and boxes, masks, semantic maps) right/down by a level-derived offset.

    ``offset = int(level / 10 * max_translate_offset)`` pixels, negated with probability
    ``random_negative_prob``. Boxes are shifted along ``direction`` and clipped to the
    image; boxes with width or height <= ``min_size`` afterwards are dropped with their
    labels and masks.

    Args:
        level (int | float): in [0, 10].
        prob (float): probability of translating.
        img_fill_val (int | float | tuple): image border fill, one value or 3.
        seg_ignore_label (int): semantic-map border fill. Default 255.
        direction (str): 'horizontal' or 'vertical'.
        max_translate_offset (int | float): offset at level 10, in pixels.
        random_negative_prob (float): probability of negating the offset.
        min_size (int | float): minimum box side kept.

    Required keys: ``img``, ``img_shape``. Draws: ``rand()`` against ``prob``, ``rand()``
    for the sign.
    """

    def __init__(self, level: Union[int, float], prob: float = 0.5, img_fill_val=128,
                 seg_ignore_label: int = 255, direction: str = 'horizontal',
                 max_translate_offset: Union[int, float] = 250., random_negative_prob: float = 0.5,
                 min_size: Union[int, float] = 0):
        name = type(self).__name__
        check_level(level, name)
        check_prob(prob, name)
        if direction not in _DIRECTIONS:
            raise ValueError(f'{name}: direction must be one of {_DIRECTIONS}, got {direction!r}')
        if not isinstance(max_translate_offset, (int, float)):
            raise TypeError(f'{name}: max_translate_offset must be an int or float, got '
                            f'{type(max_translate_offset).__name__}')
        self.offset = int(level_to_value(level, max_translate_offset))
        self.level = level
        self.prob = prob
        self.img_fill_val = fill_value3(img_fill_val, name)
        self.seg_ignore_label = seg_ignore_label
        self.direction = direction
        self.max_translate_offset = max_translate_offset
        self.random_negative_prob = random_negative_prob
        self.min_size = min_size

    def _translate_bboxes(self, results: dict, offset: float) -> None:
        h, w = results['img_shape'][:2]
        for key in results.get('bbox_fields', []):
            boxes = results[key].copy()
            if self.direction == 'horizontal':
                boxes[:, 0] = np.maximum(0, boxes[:, 0] + offset)
                boxes[:, 2] = np.minimum(w, boxes[:, 2] + offset)
            else:
                boxes[:, 1] = np.maximum(0, boxes[:, 1] + offset)
                boxes[:, 3] = np.minimum(h, boxes[:, 3] + offset)
            # boxes shifted out of the image end up with x2 <= x1 and are filtered below
            results[key] = boxes

    def __call__(self, results: dict) -> dict:
        if np.random.rand() > self.prob:
            return results
        require(results, ['img', 'img_shape'], type(self).__name__)
        offset = random_negative(self.offset, self.random_negative_prob)
        for key in results.get('img_fields', ['img']):
            img = results[key]
            results[key] = imtranslate(img, offset, self.direction,
                                       border_value=self.img_fill_val).astype(img.dtype)
        self._translate_bboxes(results, offset)
        h, w = results['img_shape'][:2]
        for key in results.get('mask_fields', []):
            results[key] = results[key].translate((h, w), offset, self.direction, 0)
        for key in results.get('seg_fields', []):
            seg = results[key]
            results[key] = imtranslate(seg, offset, self.direction,
                                       border_value=self.seg_ignore_label).astype(seg.dtype)
        filter_small_boxes(results, self.min_size)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(level={self.level}, prob={self.prob}, '
                f'img_fill_val={self.img_fill_val}, seg_ignore_label={self.seg_ignore_label}, '
                f'direction={self.direction}, max_translate_offset={self.max_translate_offset}, '
                f'random_negative_prob={self.random_negative_prob}, min_size={self.min_size})')
