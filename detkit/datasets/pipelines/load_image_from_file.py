"""LoadImageFromFile: read the image named by the record."""
from __future__ import annotations

import os.path as osp
from typing import Optional

import numpy as np

from ...registry import PIPELINES
from ._image import imfrombytes, read_bytes
from ._utils import check_choice, require

_COLOR_TYPES = ('color', 'grayscale', 'unchanged', 'color_ignore_orientation',
                'grayscale_ignore_orientation')


@PIPELINES.register_module()
class LoadImageFromFile:
    """Load an image from ``img_prefix`` / ``img_info['filename']``.

    Required keys: ``img_prefix`` (may be None), ``img_info`` (with ``filename``).
    Added keys: ``filename``, ``ori_filename``, ``img`` ((H, W, 3) uint8, or
    float32 with ``to_float32``), ``img_shape``, ``ori_shape`` (both the
    image's shape, (H, W, C)), ``img_fields`` = ['img'].

    Args:
        to_float32 (bool): convert the image to float32.
        color_type (str): 'color', 'grayscale', 'unchanged', ... (imfrombytes flag).
        channel_order (str): 'bgr' or 'rgb'.
        file_client_args (dict): only ``dict(backend='disk')`` is supported.
    """

    def __init__(self, to_float32: bool = False, color_type: str = 'color',
                 channel_order: str = 'bgr', file_client_args: Optional[dict] = None):
        check_choice('LoadImageFromFile', 'color_type', color_type, _COLOR_TYPES)
        check_choice('LoadImageFromFile', 'channel_order', channel_order, ('bgr', 'rgb'))
        self.to_float32 = to_float32
        self.color_type = color_type
        self.channel_order = channel_order
        self.file_client_args = dict(file_client_args or dict(backend='disk'))
        if self.file_client_args.get('backend', 'disk') != 'disk':
            raise ValueError(f'LoadImageFromFile: file_client_args backend '
                             f'{self.file_client_args["backend"]!r} is not supported; detkit '
                             f"reads local files only (dict(backend='disk'))")

    def __call__(self, results: dict) -> dict:
        require(results, 'img_info', 'LoadImageFromFile')
        info = results['img_info']
        if 'filename' not in info:
            raise KeyError(f"LoadImageFromFile needs img_info['filename'], but img_info has "
                           f'keys {sorted(info)}')
        prefix = results.get('img_prefix')
        filename = osp.join(prefix, info['filename']) if prefix is not None else info['filename']
        try:
            img = imfrombytes(read_bytes(filename, self.file_client_args),
                              flag=self.color_type, channel_order=self.channel_order)
        except ValueError as e:
            raise ValueError(f'LoadImageFromFile: {filename!r}: {e}') from None
        if self.to_float32:
            img = img.astype(np.float32)
        results['filename'] = filename
        results['ori_filename'] = info['filename']
        results['img'] = img
        results['img_shape'] = img.shape
        results['ori_shape'] = img.shape
        results['img_fields'] = ['img']
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(to_float32={self.to_float32}, '
                f"color_type='{self.color_type}', channel_order='{self.channel_order}', "
                f'file_client_args={self.file_client_args})')
