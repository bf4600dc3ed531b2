"""Image operations on numpy arrays (H, W) or (H, W, C), the ``mmcv.image`` functions we need.

Sizes follow mmcv's conventions, which MMDetection configs rely on:
``size``/``scale`` tuples passed to :func:`imresize`/:func:`rescale_size` are
(w, h); ``shape`` tuples (:func:`impad`) are (h, w); paddings are
(left, top, right, bottom).

They live here, below ``detkit.datasets``, because the mask structures need
them too; pipeline code imports them (and the readers of ``image_io``) as
``detkit.datasets.pipelines._image``.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import cv2
import numpy as np

from ..utils.suggest import did_you_mean
from .image_io import imfrombytes, imread, read_bytes  # noqa: F401  (also importable from here)

CV2_INTERP_CODES = {
    'nearest': cv2.INTER_NEAREST,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
    'area': cv2.INTER_AREA,
    'lanczos': cv2.INTER_LANCZOS4,
}


_FLIP_DIRECTIONS = ('horizontal', 'vertical', 'diagonal')
_RESIZE_BACKENDS = ('cv2', 'pillow')


def _choice(what: str, value: str, accepted: Sequence[str]) -> None:
    if value not in accepted:
        raise ValueError(f'{what} must be one of {tuple(accepted)}, but got {value!r}'
                         f'{did_you_mean(str(value), accepted)}')


def _interp_code(interpolation: str) -> int:
    _choice('interpolation', interpolation, list(CV2_INTERP_CODES))
    return CV2_INTERP_CODES[interpolation]


# ------------------------------------------------------------------------------ resizing
def imresize(img: np.ndarray, size: Sequence[int], return_scale: bool = False,
             interpolation: str = 'bilinear', backend: Optional[str] = None):
    """Resize ``img`` to ``size`` = (w, h).

    Returns:
        ndarray, or (ndarray, w_scale, h_scale) if ``return_scale``. A (H, W, 1)
        input keeps its channel dim (OpenCV would drop it).
    """
    h, w = img.shape[:2]
    backend = backend or 'cv2'
    _choice('backend', backend, _RESIZE_BACKENDS)
    size = (int(size[0]), int(size[1]))
    if backend == 'pillow':
        from PIL import Image
        pil_codes = {'nearest': Image.NEAREST, 'bilinear': Image.BILINEAR,
                     'bicubic': Image.BICUBIC, 'box': Image.BOX, 'lanczos': Image.LANCZOS,
                     'hamming': Image.HAMMING}
        _choice('interpolation', interpolation, list(pil_codes))
        if img.dtype != np.uint8:
            raise ValueError(f'the pillow backend resizes uint8 images only, got {img.dtype}')
        resized = np.array(Image.fromarray(img).resize(size, pil_codes[interpolation]))
    else:
        resized = cv2.resize(img, size, interpolation=_interp_code(interpolation))
    if img.ndim == 3 and resized.ndim == 2:
        resized = resized[..., None]
    if not return_scale:
        return resized
    return resized, size[0] / w, size[1] / h


def _scale_size(size: Sequence[int], scale: float) -> tuple[int, int]:
    """(w, h) scaled by ``scale``, rounded half up."""
    w, h = size
    return int(w * float(scale) + 0.5), int(h * float(scale) + 0.5)


def rescale_size(old_size: Sequence[int], scale: Union[float, Sequence[int]],
                 return_scale: bool = False):
    """New (w, h) of an image of size (w, h) rescaled keeping its aspect ratio.

    Args:
        old_size (tuple): (w, h).
        scale (float | tuple[int]): a factor, or a (long edge, short edge) bound
            (either order): the largest factor that keeps both edges within it.
    """
    w, h = old_size
    if isinstance(scale, (float, int)):
        if scale <= 0:
            raise ValueError(f'invalid scale {scale}, must be positive')
        scale_factor = float(scale)
    elif isinstance(scale, (tuple, list)):
        max_long_edge, max_short_edge = max(scale), min(scale)
        scale_factor = min(max_long_edge / max(h, w), max_short_edge / min(h, w))
    else:
        raise TypeError(f'scale must be a number or a tuple of int, but got {type(scale)}')
    new_size = _scale_size((w, h), scale_factor)
    return (new_size, scale_factor) if return_scale else new_size


def imrescale(img: np.ndarray, scale: Union[float, Sequence[int]], return_scale: bool = False,
              interpolation: str = 'bilinear', backend: Optional[str] = None):
    """Resize keeping the aspect ratio (see :func:`rescale_size`).

    Returns:
        ndarray, or (ndarray, scale_factor) if ``return_scale``.
    """
    h, w = img.shape[:2]
    new_size, scale_factor = rescale_size((w, h), scale, return_scale=True)
    rescaled = imresize(img, new_size, interpolation=interpolation, backend=backend)
    return (rescaled, scale_factor) if return_scale else rescaled


# ------------------------------------------------------------------------------ geometry
def imflip(img: np.ndarray, direction: str = 'horizontal') -> np.ndarray:
    """Flip along W ('horizontal'), H ('vertical') or both ('diagonal')."""
    _choice('flip direction', direction, _FLIP_DIRECTIONS)
    if direction == 'horizontal':
        return np.flip(img, axis=1)
    if direction == 'vertical':
        return np.flip(img, axis=0)
    return np.flip(img, axis=(0, 1))


def impad(img: np.ndarray, *, shape: Optional[Sequence[int]] = None,
          padding: Union[int, Sequence[int], None] = None,
          pad_val: Union[float, Sequence[float]] = 0, padding_mode: str = 'constant'
          ) -> np.ndarray:
    """Pad an image to ``shape`` = (h, w) (bottom/right) or by ``padding``.

    Args:
        shape (tuple, optional): (h, w) to pad to; exactly one of shape/padding.
        padding (int | tuple, optional): ``p``, (lr, tb) or (left, top, right, bottom).
        pad_val (number | tuple): fill value, one per channel if a tuple.
        padding_mode (str): 'constant', 'edge', 'reflect' or 'symmetric'.
    """
    if (shape is None) == (padding is None):
        raise ValueError('impad: give exactly one of shape and padding')
    if shape is not None:
        if shape[0] < img.shape[0] or shape[1] < img.shape[1]:
            raise ValueError(f'impad: cannot pad an image of shape {img.shape[:2]} to the '
                             f'smaller shape {tuple(shape[:2])}')
        padding = (0, 0, shape[1] - img.shape[1], shape[0] - img.shape[0])
    if isinstance(padding, int):
        padding = (padding,) * 4
    elif len(padding) == 2:
        padding = (padding[0], padding[1], padding[0], padding[1])
    elif len(padding) != 4:
        raise ValueError(f'padding must be an int or a tuple of 2 or 4 ints, got {padding}')
    _choice('padding_mode', padding_mode, ('constant', 'edge', 'reflect', 'symmetric'))
    left, top, right, bottom = (int(p) for p in padding)
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (img.ndim - 2)
    if padding_mode != 'constant':
        return np.pad(img, widths, mode=padding_mode)
    if isinstance(pad_val, (tuple, list)):
        channels = img.shape[2] if img.ndim == 3 else 1
        if len(pad_val) != channels:
            raise ValueError(f'impad: pad_val has {len(pad_val)} values but the image has '
                             f'{channels} channels')
        out = np.empty((img.shape[0] + top + bottom, img.shape[1] + left + right)
                       + img.shape[2:], dtype=img.dtype)
        out[...] = np.asarray(pad_val, dtype=img.dtype) if img.ndim == 3 else pad_val[0]
        out[top:top + img.shape[0], left:left + img.shape[1]] = img
        return out
    return np.pad(img, widths, mode='constant', constant_values=pad_val)


def impad_to_multiple(img: np.ndarray, divisor: int,
                      pad_val: Union[float, Sequence[float]] = 0) -> np.ndarray:
    """Pad bottom/right so that H and W are multiples of ``divisor``."""
    pad_h = int(np.ceil(img.shape[0] / divisor)) * divisor
    pad_w = int(np.ceil(img.shape[1] / divisor)) * divisor
    return impad(img, shape=(pad_h, pad_w), pad_val=pad_val)


def _warp(img: np.ndarray, matrix: np.ndarray, size: Sequence[int], border_value,
          interpolation: str) -> np.ndarray:
    """cv2.warpAffine that keeps a trailing channel dim and takes any channel count."""
    if isinstance(border_value, (tuple, list)):
        channels = img.shape[2] if img.ndim == 3 else 1
        if len(border_value) != channels:
            raise ValueError(f'border_value has {len(border_value)} values but the image has '
                             f'{channels} channels')
        # OpenCV takes at most 4 border values; warp channel by channel beyond that
        if channels > 4:
            return np.stack([_warp(img[..., i], matrix, size, border_value[i], interpolation)
                             for i in range(channels)], axis=-1)
        border = tuple(float(v) for v in border_value)
    else:
        border = (float(border_value),) * 4
    out = cv2.warpAffine(img, matrix, (int(size[0]), int(size[1])),
                         flags=_interp_code(interpolation), borderValue=border)
    if img.ndim == 3 and out.ndim == 2:
        out = out[..., None]
    return out


def imtranslate(img: np.ndarray, offset: float, direction: str = 'horizontal',
                border_value=0, interpolation: str = 'bilinear') -> np.ndarray:
    """Shift content by ``offset`` px right ('horizontal') or down ('vertical')."""
    _choice('translate direction', direction, ('horizontal', 'vertical'))
    h, w = img.shape[:2]
    if direction == 'horizontal':
        matrix = np.float32([[1, 0, offset], [0, 1, 0]])
    else:
        matrix = np.float32([[1, 0, 0], [0, 1, offset]])
    return _warp(img, matrix, (w, h), border_value, interpolation)


def imshear(img: np.ndarray, magnitude: float, direction: str = 'horizontal',
            border_value=0, interpolation: str = 'bilinear') -> np.ndarray:
    """Shear: x' = x + magnitude * y ('horizontal') or y' = y + magnitude * x ('vertical')."""
    _choice('shear direction', direction, ('horizontal', 'vertical'))
    h, w = img.shape[:2]
    if direction == 'horizontal':
        matrix = np.float32([[1, magnitude, 0], [0, 1, 0]])
    else:
        matrix = np.float32([[1, 0, 0], [magnitude, 1, 0]])
    return _warp(img, matrix, (w, h), border_value, interpolation)


def imrotate(img: np.ndarray, angle: float, center: Optional[Sequence[float]] = None,
             scale: float = 1.0, border_value=0, interpolation: str = 'bilinear',
             auto_bound: bool = False) -> np.ndarray:
    """Rotate by ``angle`` degrees clockwise about ``center`` (default: image centre).

    With ``auto_bound`` the output grows to hold the whole rotated image.
    """
    if center is not None and auto_bound:
        raise ValueError('imrotate: auto_bound needs center=None')
    h, w = img.shape[:2]
    if center is None:
        center = ((w - 1) * 0.5, (h - 1) * 0.5)
    matrix = cv2.getRotationMatrix2D(tuple(float(c) for c in center), -angle, scale)
    if auto_bound:
        cos, sin = np.abs(matrix[0, 0]), np.abs(matrix[0, 1])
        new_w, new_h = w * cos + h * sin, h * cos + w * sin
        matrix[0, 2] += (new_w - w) * 0.5
        matrix[1, 2] += (new_h - h) * 0.5
        w, h = int(np.round(new_w)), int(np.round(new_h))
    return _warp(img, matrix, (w, h), border_value, interpolation)


# ------------------------------------------------------------------------------ colour
def imnormalize(img: np.ndarray, mean: Sequence[float], std: Sequence[float],
                to_rgb: bool = True) -> np.ndarray:
    """(img [BGR->RGB] - mean) / std, as float32, on a copy."""
    img = img.astype(np.float32)
    if to_rgb:
        img = img[..., ::-1]
    mean = np.asarray(mean, dtype=np.float32).reshape(1, -1)
    std = np.asarray(std, dtype=np.float32).reshape(1, -1)
    # multiply by the inverse std, as mmcv does
    return np.ascontiguousarray((img - mean) * (1.0 / std), dtype=np.float32)


def imdenormalize(img: np.ndarray, mean: Sequence[float], std: Sequence[float],
                  to_bgr: bool = True) -> np.ndarray:
    """Inverse of :func:`imnormalize`: img * std + mean [RGB->BGR]."""
    mean = np.asarray(mean, dtype=np.float32).reshape(1, -1)
    std = np.asarray(std, dtype=np.float32).reshape(1, -1)
    img = img.astype(np.float32) * std + mean
    if to_bgr:
        img = img[..., ::-1]
    return np.ascontiguousarray(img)


def bgr2rgb(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def rgb2bgr(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
