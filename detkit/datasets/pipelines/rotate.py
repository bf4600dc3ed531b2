"""Rotate: AutoAugment's rotation of the image, boxes, masks and semantic maps."""
from __future__ import annotations

from typing import Optional, Union

import cv2
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
from ._image import imrotate


@PIPELINES.register_module()
class Rotate:
    """Rotate the image (and its boxes, masks, semantic maps) by a level-derived angle.

    ``angle = level / 10 * max_rotate_angle`` degrees, clockwise for positive values (image
    coordinates, y down), negated with probability ``random_negative_prob``. The output
    keeps the input size. A box becomes the bounding box of its four rotated corners,
    clipped to the image; empty boxes are dropped with their labels and masks.

    Args:
        level (int | float): in [0, 10].
        scale (int | float): isotropic scale applied with the rotation.
        center (int | float | tuple[float], optional): (x, y) centre of rotation; default the
            image centre ``((w - 1) / 2, (h - 1) / 2)``.
        img_fill_val (int | float | tuple): image border fill, one value or 3.
        seg_ignore_label (int): semantic-map border fill. Default 255.
        prob (float): probability of rotating.
        max_rotate_angle (int | float): angle at level 10, in degrees.
        random_negative_prob (float): probability of negating the angle.

    Required keys: ``img``, ``img_shape``. Draws: ``rand()`` against ``prob``, ``rand()``
    for the sign.
    """

    def __init__(self, level: Union[int, float], scale: Union[int, float] = 1,
                 center: Optional[Union[int, float, tuple]] = None, img_fill_val=128,
                 seg_ignore_label: int = 255, prob: float = 0.5,
                 max_rotate_angle: Union[int, float] = 30, random_negative_prob: float = 0.5):
        name = type(self).__name__
        check_level(level, name)
        check_prob(prob, name)
        if not isinstance(scale, (int, float)):
            raise TypeError(f'{name}: scale must be an int or float, got {type(scale).__name__}')
        if isinstance(center, (int, float)):
            center = (center, center)
        elif isinstance(center, (tuple, list)):
            if len(center) != 2:
                raise ValueError(f'{name}: center must have 2 values (x, y), got {center!r}')
            center = tuple(center)
        elif center is not None:
            raise TypeError(f'{name}: center must be None, a number or an (x, y) tuple, got '
                            f'{type(center).__name__}')
        if not isinstance(max_rotate_angle, (int, float)):
            raise TypeError(f'{name}: max_rotate_angle must be an int or float, got '
                            f'{type(max_rotate_angle).__name__}')
        self.level = level
        self.scale = scale
        self.angle = level_to_value(level, max_rotate_angle)
        self.center = center
        self.img_fill_val = fill_value3(img_fill_val, name)
        self.seg_ignore_label = seg_ignore_label
        self.prob = prob
        self.max_rotate_angle = max_rotate_angle
        self.random_negative_prob = random_negative_prob

    @staticmethod
    def _rotate_bboxes(results: dict, matrix: np.ndarray) -> None:
        h, w = results['img_shape'][:2]
        for key in results.get('bbox_fields', []):
            boxes = results[key]
            x1, y1, x2, y2 = (boxes[:, i] for i in range(4))
            ones = np.ones_like(x1)
            # (N, 4 corners, 3) homogeneous corners
            corners = np.stack([np.stack([x1, y1, ones], -1), np.stack([x2, y1, ones], -1),
                                np.stack([x1, y2, ones], -1), np.stack([x2, y2, ones], -1)], 1)
            rotated = corners @ matrix.T  # (N, 4, 2)
            min_x = np.clip(rotated[..., 0].min(1), 0, w)
            min_y = np.clip(rotated[..., 1].min(1), 0, h)
            max_x = np.clip(rotated[..., 0].max(1), min_x, w)
            max_y = np.clip(rotated[..., 1].max(1), min_y, h)
            results[key] = np.stack([min_x, min_y, max_x, max_y], -1).astype(boxes.dtype)

    def __call__(self, results: dict) -> dict:
        if np.random.rand() > self.prob:
            return results
        require(results, ['img', 'img_shape'], type(self).__name__)
        h, w = results['img'].shape[:2]
        center = self.center if self.center is not None else ((w - 1) * 0.5, (h - 1) * 0.5)
        angle = random_negative(self.angle, self.random_negative_prob)
        for key in results.get('img_fields', ['img']):
            img = results[key]
            results[key] = imrotate(img, angle, center, self.scale,
                                    border_value=self.img_fill_val).astype(img.dtype)
        # cv2 counts angles anticlockwise; ours are clockwise in image coordinates
        matrix = cv2.getRotationMatrix2D(tuple(float(c) for c in center), -angle, self.scale)
        self._rotate_bboxes(results, matrix)
        sh, sw = results['img_shape'][:2]
        for key in results.get('mask_fields', []):
            results[key] = results[key].rotate((sh, sw), angle, center, self.scale, 0)
        for key in results.get('seg_fields', []):
            seg = results[key]
            results[key] = imrotate(seg, angle, center, self.scale,
                                    border_value=self.seg_ignore_label).astype(seg.dtype)
        filter_small_boxes(results)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(level={self.level}, scale={self.scale}, '
                f'center={self.center}, img_fill_val={self.img_fill_val}, '
                f'seg_ignore_label={self.seg_ignore_label}, prob={self.prob}, '
                f'max_rotate_angle={self.max_rotate_angle}, '
                f'random_negative_prob={self.random_negative_prob})')
