"""MultiScaleFlipAug: test-time augmentation over scales and flips."""
from __future__ import annotations

import warnings
from typing import Optional, Sequence, Union

from ...registry import PIPELINES
from ._utils import as_scale_list
from .compose import Compose

_DIRECTIONS = ('horizontal', 'vertical', 'diagonal')


@PIPELINES.register_module()
class MultiScaleFlipAug:
    """Run ``transforms`` once per (scale, flip) combination.

    For each scale (``img_scale`` sets ``results['scale']``, ``scale_factor``
    sets ``results['scale_factor']``) and each of no flip plus, with ``flip``,
    every direction in ``flip_direction``, a copy of ``results`` gets ``flip``
    and ``flip_direction`` and goes through ``transforms`` (which should hold
    Resize and RandomFlip to act on them).

    Returns:
        dict: every key of the transforms' output mapped to a list with one
        entry per augmentation, in order scale-major, flip-minor.

    Args:
        transforms (list[dict]): the per-augmentation transforms.
        img_scale (tuple | list[tuple], optional): scales.
        scale_factor (float | list[float], optional): factors (exactly one of
            img_scale and scale_factor).
        flip (bool): add flipped versions.
        flip_direction (str | list[str]): 'horizontal', 'vertical', 'diagonal'.
    """

    def __init__(self, transforms: Sequence[dict],
                 img_scale: Union[tuple, Sequence[tuple], None] = None,
                 scale_factor: Union[float, Sequence[float], None] = None,
                 flip: bool = False, flip_direction: Union[str, Sequence[str]] = 'horizontal'):
        self.transforms = Compose(transforms)
        if (img_scale is None) == (scale_factor is None):
            raise ValueError(f'MultiScaleFlipAug: give exactly one of img_scale and '
                             f'scale_factor, but got img_scale={img_scale}, '
                             f'scale_factor={scale_factor}')
        if img_scale is not None:
            self.img_scale = as_scale_list(img_scale, 'MultiScaleFlipAug')
            self.scale_key = 'scale'
        else:
            self.img_scale = (list(scale_factor) if isinstance(scale_factor, list)
                              else [scale_factor])
            self.img_scale = [float(s) for s in self.img_scale]
            self.scale_key = 'scale_factor'
        self.flip = flip
        self.flip_direction = (list(flip_direction) if isinstance(flip_direction, list)
                               else [flip_direction])
        bad = [d for d in self.flip_direction if d not in _DIRECTIONS]
        if bad:
            raise ValueError(f'MultiScaleFlipAug: flip_direction must be among {_DIRECTIONS}, '
                             f'got {flip_direction!r}')
        if not self.flip and self.flip_direction != ['horizontal']:
            warnings.warn('MultiScaleFlipAug: flip_direction has no effect when flip is False',
                          stacklevel=2)
        if self.flip and not any(isinstance(t, dict) and t.get('type') == 'RandomFlip'
                                 for t in transforms):
            warnings.warn('MultiScaleFlipAug: flip has no effect without RandomFlip in '
                          'transforms', stacklevel=2)

    def __call__(self, results: dict) -> Optional[dict]:
        flip_args = [(False, None)]
        if self.flip:
            flip_args += [(True, d) for d in self.flip_direction]
        aug_data = []
        for scale in self.img_scale:
            for flip, direction in flip_args:
                _results = results.copy()
                _results[self.scale_key] = scale
                _results['flip'] = flip
                _results['flip_direction'] = direction
                data = self.transforms(_results)
                if data is None:
                    raise ValueError(f'MultiScaleFlipAug: a transform dropped the test sample '
                                     f'(scale={scale}, flip={flip}); test pipelines must keep '
                                     f'every image')
                aug_data.append(data)
        out: dict = {key: [] for key in aug_data[0]}
        for data in aug_data:
            for key, val in data.items():
                out[key].append(val)
        return out

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(transforms={self.transforms}, '
                f'img_scale={self.img_scale}, flip={self.flip}, '
                f'flip_direction={self.flip_direction})')
