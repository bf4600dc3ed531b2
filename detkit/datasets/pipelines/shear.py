"""Shear: AutoAugment's shear of the image, boxes, masks and semantic maps."""
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
from ._image import imshear

_DIRECTIONS = ('horizontal', 'vertical')


@PIPELINES.register_module()
class Shear:
    """Shear the image (and its boxes, masks, semantic maps) by a level-derived magnitude.

    ``magnitude = level / 10 * max_shear_magnitude``, negated with probability
    ``random_negative_prob``. Horizontal: ``x' = x + magnitude * y``; vertical:
    ``y' = y + magnitude * x``. A box becomes the bounding box of its four sheared corners,
    clipped to the image; boxes that end up with no width or height are dropped together
    with their labels and masks.

    Args:
        level (int | float): in [0, 10].
        img_fill_val (int | float | tuple): image border fill, one value or 3.
        seg_ignore_label (int): semantic-map border fill. Default 255.
        prob (float): probability of shearing.
        direction (str): 'horizontal' or 'vertical'.
        max_shear_magnitude (float): magnitude at level 10, in [0, 1].
        random_negative_prob (float): probability of negating the magnitude.
        interpolation (str): image / mask interpolation, as in ``imshear``.

    Required keys: ``img``, ``img_shape`` (h, w, c). Draws: ``rand()`` against ``prob``,
    then ``rand()`` for the sign.
    """

    def __init__(self, level: Union[int, float], img_fill_val=128, seg_ignore_label: int = 255,
                 prob: float = 0.5, direction: str = 'horizontal',
                 max_shear_magnitude: float = 0.3, random_negative_prob: float = 0.5,
                 interpolation: str = 'bilinear'):
        name = type(self).__name__
        check_level(level, name)
        check_prob(prob, name)
        check_prob(random_negative_prob, name, 'random_negative_prob')
        if direction not in _DIRECTIONS:
            raise ValueError(f'{name}: direction must be one of {_DIRECTIONS}, got {direction!r}')
        if not isinstance(max_shear_magnitude, float) or not 0 <= max_shear_magnitude <= 1:
            raise ValueError(f'{name}: max_shear_magnitude must be a float in [0, 1], but got '
                             f'{max_shear_magnitude!r}')
        self.level = level
        self.magnitude = level_to_value(level, max_shear_magnitude)
        self.img_fill_val = fill_value3(img_fill_val, name)
        self.seg_ignore_label = seg_ignore_label
        self.prob = prob
        self.direction = direction
        self.max_shear_magnitude = max_shear_magnitude
        self.random_negative_prob = random_negative_prob
        self.interpolation = interpolation

    def _shear_bboxes(self, results: dict, magnitude: float) -> None:
        h, w = results['img_shape'][:2]
        if self.direction == 'horizontal':
            matrix = np.float32([[1, magnitude], [0, 1]])
        else:
            matrix = np.float32([[1, 0], [magnitude, 1]])
        for key in results.get('bbox_fields', []):
            boxes = results[key]
            x1, y1, x2, y2 = (boxes[:, i].astype(np.float32) for i in range(4))
            corners = np.stack([np.stack([x1, x2, x1, x2], -1),
                                np.stack([y1, y1, y2, y2], -1)], 1)  # (N, 2, 4)
            new = np.matmul(matrix[None], corners)
            min_x = np.clip(new[:, 0].min(-1), 0, w)
            min_y = np.clip(new[:, 1].min(-1), 0, h)
            max_x = np.clip(new[:, 0].max(-1), min_x, w)
            max_y = np.clip(new[:, 1].max(-1), min_y, h)
            results[key] = np.stack([min_x, min_y, max_x, max_y], -1).astype(boxes.dtype)

    def __call__(self, results: dict) -> dict:
        if np.random.rand() > self.prob:
            return results
        require(results, ['img', 'img_shape'], type(self).__name__)
        magnitude = random_negative(self.magnitude, self.random_negative_prob)
        for key in results.get('img_fields', ['img']):
            img = results[key]
            results[key] = imshear(img, magnitude, self.direction, border_value=self.img_fill_val,
                                   interpolation=self.interpolation).astype(img.dtype)
        self._shear_bboxes(results, magnitude)
        h, w = results['img_shape'][:2]
        for key in results.get('mask_fields', []):
            results[key] = results[key].shear((h, w), magnitude, self.direction,
                                              border_value=0, interpolation=self.interpolation)
        for key in results.get('seg_fields', []):
            seg = results[key]
            results[key] = imshear(seg, magnitude, self.direction,
                                   border_value=self.seg_ignore_label,
                                   interpolation=self.interpolation).astype(seg.dtype)
        filter_small_boxes(results)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(level={self.level}, img_fill_val={self.img_fill_val}, '
                f'seg_ignore_label={self.seg_ignore_label}, prob={self.prob}, '
                f'direction={self.direction}, max_shear_magnitude={self.max_shear_magnitude}, '
                f'random_negative_prob={self.random_negative_prob}, '
                f'interpolation={self.interpolation})')
