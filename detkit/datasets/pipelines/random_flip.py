"""RandomFlip: flip the image and everything aligned with it."""
from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np

from ...registry import PIPELINES
from ...structures import bbox_flip
from ._image import imflip
from ._utils import field_keys, require

_DIRECTIONS = ('horizontal', 'vertical', 'diagonal')


@PIPELINES.register_module()
class RandomFlip:
    """Flip the image, boxes, masks and segmentation maps.

    If ``results`` holds ``flip`` (MultiScaleFlipAug sets it, with
    ``flip_direction``), that decides; otherwise a direction (or none) is drawn:

    - ``flip_ratio`` float, ``direction`` str: flip with probability flip_ratio;
    - ``flip_ratio`` float, ``direction`` list: each direction with probability
      flip_ratio / len(direction);
    - ``flip_ratio`` list, ``direction`` list (same length): direction[i] with
      probability flip_ratio[i].

    Boxes map as x -> W - x (and/or y -> H - y) on the current ``img_shape``.
    Added keys: ``flip`` (bool), ``flip_direction`` (str or None).

    Args:
        flip_ratio (float | list[float], optional): flip probability(ies). None
            only works when ``results['flip']`` is given.
        direction (str | list[str]): 'horizontal', 'vertical', 'diagonal'.
    """

    def __init__(self, flip_ratio: Union[float, Sequence[float], None] = None,
                 direction: Union[str, Sequence[str]] = 'horizontal'):
        if isinstance(flip_ratio, (list, tuple)):
            flip_ratio = [float(r) for r in flip_ratio]
            if not all(0 <= r <= 1 for r in flip_ratio) or not 0 <= sum(flip_ratio) <= 1:
                raise ValueError(f'RandomFlip: flip_ratio values must be in [0, 1] and sum to '
                                 f'at most 1, but got {flip_ratio}')
        elif isinstance(flip_ratio, (int, float)) and not isinstance(flip_ratio, bool):
            if not 0 <= flip_ratio <= 1:
                raise ValueError(f'RandomFlip: flip_ratio must be in [0, 1], got {flip_ratio}')
            flip_ratio = float(flip_ratio)
        elif flip_ratio is not None:
            raise TypeError(f'RandomFlip: flip_ratio must be None, a float or a list of '
                            f'floats, but got {flip_ratio!r}')
        directions = [direction] if isinstance(direction, str) else list(direction)
        bad = [d for d in directions if d not in _DIRECTIONS]
        if bad or not directions:
            from ...utils.suggest import did_you_mean
            hint = did_you_mean(str(bad[0]), _DIRECTIONS) if bad else ''
            raise ValueError(f'RandomFlip: direction must be one of {_DIRECTIONS} or a list of '
                             f'them, but got {direction!r}{hint}')
        if isinstance(flip_ratio, list) and len(flip_ratio) != len(directions):
            raise ValueError(f'RandomFlip: flip_ratio {flip_ratio} and direction {direction} '
                             f'must have the same length')
        self.flip_ratio = flip_ratio
        self.direction = direction if isinstance(direction, str) else directions

    def bbox_flip(self, bboxes: np.ndarray, img_shape: Sequence[int],
                  direction: str) -> np.ndarray:
        """(..., 4 * k) boxes flipped inside an image of ``img_shape`` (h, w[, c])."""
        return bbox_flip(bboxes, img_shape, direction)

    def _draw(self) -> Optional[str]:
        if self.flip_ratio is None:
            raise KeyError("RandomFlip(flip_ratio=None) needs results['flip'] (set by "
                           'MultiScaleFlipAug); give flip_ratio to flip at random')
        directions = ([self.direction] if isinstance(self.direction, str)
                      else list(self.direction)) + [None]  # None: no flip
        if isinstance(self.flip_ratio, list):
            probs = self.flip_ratio + [1 - sum(self.flip_ratio)]
        else:
            single = self.flip_ratio / (len(directions) - 1)
            probs = [single] * (len(directions) - 1) + [1 - self.flip_ratio]
        return directions[np.random.choice(len(directions), p=probs)]

    def __call__(self, results: dict) -> dict:
        cur_dir = None
        if 'flip' not in results:
            cur_dir = self._draw()
            results['flip'] = cur_dir is not None
        if 'flip_direction' not in results:
            results['flip_direction'] = cur_dir
        if not results['flip']:
            return results
        direction = results['flip_direction']
        if direction not in _DIRECTIONS:
            raise ValueError(f"RandomFlip: results['flip_direction'] must be one of "
                             f'{_DIRECTIONS} when flip is True, but got {direction!r}')
        for key in field_keys(results, 'img_fields', 'RandomFlip', ['img']):
            require(results, key, 'RandomFlip')
            results[key] = imflip(results[key], direction)
        if results.get('bbox_fields'):
            require(results, 'img_shape', 'RandomFlip')
        for key in field_keys(results, 'bbox_fields', 'RandomFlip'):
            results[key] = self.bbox_flip(results[key], results['img_shape'], direction)
        for key in field_keys(results, 'mask_fields', 'RandomFlip'):
            results[key] = results[key].flip(direction)
        for key in field_keys(results, 'seg_fields', 'RandomFlip'):
            results[key] = imflip(results[key], direction)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(flip_ratio={self.flip_ratio}, '
                f'direction={self.direction!r})')
