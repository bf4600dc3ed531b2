"""Reading images: file bytes (local disk) and decoding, the ``mmcv`` readers we need."""
from __future__ import annotations

import os
from typing import Optional

import cv2
import numpy as np

from ..utils.suggest import did_you_mean


def _choice(what: str, value: str, accepted) -> None:
    if value not in accepted:
        raise ValueError(f'{what} must be one of {tuple(accepted)}, but got {value!r}'
                         f'{did_you_mean(str(value), accepted)}')

_IMREAD_FLAGS = {
    'color': cv2.IMREAD_COLOR,
    'grayscale': cv2.IMREAD_GRAYSCALE,
    'unchanged': cv2.IMREAD_UNCHANGED,
    'color_ignore_orientation': cv2.IMREAD_IGNORE_ORIENTATION | cv2.IMREAD_COLOR,
    'grayscale_ignore_orientation': cv2.IMREAD_IGNORE_ORIENTATION | cv2.IMREAD_GRAYSCALE,
}


def read_bytes(filepath: str, file_client_args: Optional[dict] = None) -> bytes:
    """Read a file's bytes. Only the local-disk backend exists in detkit.

    Args:
        filepath (str): path of the file.
        file_client_args (dict, optional): mmcv-style ``dict(backend='disk')``.
    """
    backend = (file_client_args or {}).get('backend', 'disk')
    if backend != 'disk':
        raise ValueError(f"file_client_args backend {backend!r} is not supported: detkit reads "
                         f"local files only, use dict(backend='disk')")
    try:
        with open(filepath, 'rb') as f:
            return f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f'image file not found: {filepath!r}') from None


def imfrombytes(content: bytes, flag: str = 'color', channel_order: str = 'bgr') -> np.ndarray:
    """Decode an encoded image (jpg, png, ...) into (H, W[, C]) uint8 (or as stored).

    Args:
        flag (str): 'color', 'grayscale', 'unchanged', 'color_ignore_orientation'
            or 'grayscale_ignore_orientation'.
        channel_order (str): 'bgr' (OpenCV's) or 'rgb', for color images.
    """
    _choice('color_type', flag, list(_IMREAD_FLAGS))
    _choice('channel_order', channel_order, ('bgr', 'rgb'))
    img = cv2.imdecode(np.frombuffer(content, np.uint8), _IMREAD_FLAGS[flag])
    if img is None:
        raise ValueError('the bytes could not be decoded as an image')
    if img.ndim == 3 and img.shape[2] == 3 and channel_order == 'rgb':
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    return img


def imread(filepath: str, flag: str = 'color', channel_order: str = 'bgr',
           file_client_args: Optional[dict] = None) -> np.ndarray:
    """Read an image file; see :func:`imfrombytes` for ``flag`` and ``channel_order``."""
    content = read_bytes(os.fspath(filepath), file_client_args)
    try:
        return imfrombytes(content, flag, channel_order)
    except ValueError as e:
        raise ValueError(f'{filepath!r}: {e}') from None
