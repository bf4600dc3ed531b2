"""Pad: pad the image (and masks, maps) at the bottom and right."""
from __future__ import annotations

import warnings
from typing import Optional, Sequence, Union

from ...registry import PIPELINES
from ._image import impad, impad_to_multiple
from ._utils import field_keys, require


@PIPELINES.register_module()
class Pad:
    """Pad to a fixed ``size`` (h, w), to a multiple of ``size_divisor``, or to a square.

    Boxes need no change (padding is bottom/right). Added keys: ``pad_shape``,
    ``pad_fixed_size``, ``pad_size_divisor``; masks in ``mask_fields`` and maps
    in ``seg_fields`` are padded to ``pad_shape``.

    Args:
        size (tuple, optional): (h, w) to pad to.
        size_divisor (int, optional): pad H and W up to multiples of it.
        pad_to_square (bool): pad to (max(H, W), max(H, W)) (YOLOX).
        pad_val (dict): fill values ``dict(img=0, masks=0, seg=255)``; ``img``
            may be a per-channel tuple. A number is accepted (deprecated) and
            used for img and masks.
    """

    def __init__(self, size: Optional[Sequence[int]] = None, size_divisor: Optional[int] = None,
                 pad_to_square: bool = False,
                 pad_val: Union[dict, int, float, None] = None):
        if pad_val is None:
            pad_val = dict(img=0, masks=0, seg=255)
        elif isinstance(pad_val, (int, float)):
            warnings.warn(f'Pad: a number as pad_val is deprecated, use '
                          f'pad_val=dict(img={pad_val}, masks={pad_val}, seg=255)',
                          DeprecationWarning, stacklevel=2)
            pad_val = dict(img=pad_val, masks=pad_val, seg=255)
        if not isinstance(pad_val, dict):
            raise TypeError(f'Pad: pad_val must be a dict like dict(img=0, masks=0, seg=255), '
                            f'but got {pad_val!r}')
        if pad_to_square:
            if size is not None or size_divisor is not None:
                raise ValueError('Pad: size and size_divisor must be None when pad_to_square '
                                 'is True')
        elif (size is None) == (size_divisor is None):
            raise ValueError(f'Pad: give exactly one of size and size_divisor, but got '
                             f'size={size}, size_divisor={size_divisor}')
        self.size = size
        self.size_divisor = size_divisor
        self.pad_to_square = pad_to_square
        self.pad_val = pad_val

    def _pad_img(self, results: dict) -> None:
        pad_val = self.pad_val.get('img', 0)
        size = self.size
        padded = None
        for key in field_keys(results, 'img_fields', 'Pad', ['img']):
            require(results, key, 'Pad')
            img = results[key]
            if self.pad_to_square:
                size = (max(img.shape[:2]),) * 2
            if isinstance(pad_val, (list, tuple)) and img.ndim == 2:
                raise ValueError(f'Pad: pad_val img={pad_val} is per channel but {key!r} has '
                                 f'shape {img.shape}')
            if size is not None:
                padded = impad(img, shape=size, pad_val=pad_val)
            else:
                padded = impad_to_multiple(img, self.size_divisor, pad_val=pad_val)
            results[key] = padded
        if padded is not None:
            results['pad_shape'] = padded.shape
        results['pad_fixed_size'] = size
        results['pad_size_divisor'] = self.size_divisor

    def __call__(self, results: dict) -> dict:
        self._pad_img(results)
        pad_shape = results['pad_shape'][:2]
        for key in field_keys(results, 'mask_fields', 'Pad'):
            results[key] = results[key].pad(pad_shape, pad_val=self.pad_val.get('masks', 0))
        for key in field_keys(results, 'seg_fields', 'Pad'):
            results[key] = impad(results[key], shape=pad_shape,
                                 pad_val=self.pad_val.get('seg', 255))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(size={self.size}, '
                f'size_divisor={self.size_divisor}, pad_to_square={self.pad_to_square}, '
                f'pad_val={self.pad_val})')
