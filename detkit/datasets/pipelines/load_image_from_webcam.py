"""LoadImageFromWebcam: take an image already in ``results['img']``."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ...registry import PIPELINES
from ._utils import require


@PIPELINES.register_module()
class LoadImageFromWebcam:
    """Like LoadImageFromFile, for an image array given in ``results['img']``
    (webcam frames, ``inference_detector`` on arrays).

    Added keys: ``filename`` = ``ori_filename`` = None, ``img_shape``,
    ``ori_shape``, ``img_fields``. ``color_type``, ``channel_order`` and
    ``file_client_args`` are accepted for config compatibility; the array is
    used as given.
    """

    def __init__(self, to_float32: bool = False, color_type: str = 'color',
                 channel_order: str = 'bgr', file_client_args: Optional[dict] = None):
        self.to_float32 = to_float32
        self.color_type = color_type
        self.channel_order = channel_order
        self.file_client_args = dict(file_client_args or dict(backend='disk'))

    def __call__(self, results: dict) -> dict:
        require(results, 'img', 'LoadImageFromWebcam')
        img = results['img']
        if not isinstance(img, np.ndarray):
            raise TypeError(f"LoadImageFromWebcam: results['img'] must be an ndarray, but got "
                            f'{type(img).__name__}')
        if self.to_float32:
            img = img.astype(np.float32)
        results['filename'] = None
        results['ori_filename'] = None
        results['img'] = img
        results['img_shape'] = img.shape
        results['ori_shape'] = img.shape
        results['img_fields'] = ['img']
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(to_float32={self.to_float32})'
