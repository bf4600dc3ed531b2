"""ImageToTensor: (H, W[, C]) arrays to (C, H, W) tensors."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ...registry import PIPELINES
from ._utils import require
from .to_tensor import to_tensor


@PIPELINES.register_module()
class ImageToTensor:
    """Convert images in ``keys`` from (H, W, C) (or (H, W) -> (1, H, W)) arrays to
    contiguous (C, H, W) tensors; the dtype is kept."""

    def __init__(self, keys: Sequence[str]):
        self.keys = keys

    def __call__(self, results: dict) -> dict:
        for key in self.keys:
            require(results, key, 'ImageToTensor')
            img = results[key]
            if img.ndim < 3:
                img = np.expand_dims(img, -1)
            results[key] = to_tensor(img.transpose(2, 0, 1)).contiguous()
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(keys={self.keys})'
