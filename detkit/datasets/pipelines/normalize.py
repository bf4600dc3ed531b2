"""Normalize: subtract the mean and divide by the std (optionally BGR -> RGB)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ...registry import PIPELINES
from ._image import imnormalize
from ._utils import field_keys, require


@PIPELINES.register_module()
class Normalize:
    """img = (img[..., ::-1 if to_rgb] - mean) / std, as float32.

    Added key: ``img_norm_cfg`` = dict(mean, std (float32 arrays), to_rgb).

    Args:
        mean (sequence): per-channel means (in the output channel order).
        std (sequence): per-channel stds.
        to_rgb (bool): convert BGR to RGB first.
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float], to_rgb: bool = True):
        self.mean = np.array(mean, dtype=np.float32)
        self.std = np.array(std, dtype=np.float32)
        if self.mean.shape != self.std.shape:
            raise ValueError(f'Normalize: mean {list(mean)} and std {list(std)} must have the '
                             f'same length')
        if (self.std == 0).any():
            raise ValueError(f'Normalize: std must not contain 0, got {list(std)}')
        self.to_rgb = to_rgb

    def __call__(self, results: dict) -> dict:
        for key in field_keys(results, 'img_fields', 'Normalize', ['img']):
            require(results, key, 'Normalize')
            results[key] = imnormalize(results[key], self.mean, self.std, self.to_rgb)
        results['img_norm_cfg'] = dict(mean=self.mean, std=self.std, to_rgb=self.to_rgb)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(mean={self.mean.tolist()}, '
                f'std={self.std.tolist()}, to_rgb={self.to_rgb})')
