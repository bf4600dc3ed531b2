"""LoadMultiChannelImageFromFiles: stack one file per channel into an (H, W, C) image."""
from __future__ import annotations

import os.path as osp
from typing import Optional

import numpy as np

from ...registry import PIPELINES
from ._image import imfrombytes, read_bytes
from ._utils import require


@PIPELINES.register_module()
class LoadMultiChannelImageFromFiles:
    """Load an image from a list of single-channel files, stacked along the last axis.

    Required keys: ``img_prefix``, ``img_info`` whose ``filename`` is a list.
    Added keys: ``filename`` (list), ``ori_filename``, ``img`` (H, W, C),
    ``img_shape``, ``ori_shape``, ``pad_shape``, ``scale_factor`` ([1, 1, 1, 1]),
    ``img_norm_cfg`` (mean 0, std 1), ``img_fields``.
    """

    def __init__(self, to_float32: bool = False, color_type: str = 'unchanged',
                 file_client_args: Optional[dict] = None):
        self.to_float32 = to_float32
        self.color_type = color_type
        self.file_client_args = dict(file_client_args or dict(backend='disk'))

    def __call__(self, results: dict) -> dict:
        require(results, 'img_info', 'LoadMultiChannelImageFromFiles')
        names = results['img_info'].get('filename')
        if not isinstance(names, (list, tuple)) or not names:
            raise TypeError(f"LoadMultiChannelImageFromFiles: img_info['filename'] must be a "
                            f'non-empty list of files, one per channel, but got {names!r}')
        prefix = results.get('img_prefix')
        filenames = [osp.join(prefix, n) if prefix is not None else n for n in names]
        channels = [imfrombytes(read_bytes(f, self.file_client_args), flag=self.color_type)
                    for f in filenames]
        shapes = {c.shape for c in channels}
        if len(shapes) != 1:
            raise ValueError(f'LoadMultiChannelImageFromFiles: the channel files {filenames} '
                             f'have different shapes {sorted(shapes)}')
        img = np.stack(channels, axis=-1)
        if self.to_float32:
            img = img.astype(np.float32)
        num_channels = 1 if img.ndim < 3 else img.shape[2]
        results['filename'] = filenames
        results['ori_filename'] = names
        results['img'] = img
        results['img_shape'] = img.shape
        results['ori_shape'] = img.shape
        results['pad_shape'] = img.shape
        # an array, not MMDetection's 1.0: a float here would make Resize use it as the
        # test-time scale factor (see Resize)
        results['scale_factor'] = np.ones(4, dtype=np.float32)
        results['img_norm_cfg'] = dict(mean=np.zeros(num_channels, dtype=np.float32),
                                       std=np.ones(num_channels, dtype=np.float32),
                                       to_rgb=False)
        results['img_fields'] = ['img']
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(to_float32={self.to_float32}, '
                f"color_type='{self.color_type}')")
