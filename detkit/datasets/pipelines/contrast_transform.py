"""ContrastTransform: AutoAugment's contrast adjustment (image only)."""
from __future__ import annotations

from typing import Union

import numpy as np

from detkit.registry import PIPELINES

from ._augment_utils import (
    adjust_contrast,
    check_level,
    check_prob,
    enhance_level_to_value,
    require,
)


@PIPELINES.register_module()
class ContrastTransform:
    """Apply contrast adjustment to each image in ``img_fields`` with probability ``prob``.

    The factor is ``level / 10 * 1.8 + 0.1`` (level 5 leaves the image unchanged);
    the output is ``factor * img + (1 - factor) * m`` clipped to [0, 255],
    with ``m`` the rounded mean grey level.

    Args:
        level (int | float): in [0, 10].
        prob (float): probability of applying it.

    Required keys: ``img`` (H, W, 3) BGR; dtype is kept. Draw: ``rand()`` against ``prob``.
    """

    def __init__(self, level: Union[int, float], prob: float = 0.5):
        check_level(level, type(self).__name__)
        check_prob(prob, type(self).__name__)
        self.level = level
        self.prob = prob
        self.factor = enhance_level_to_value(level)

    def __call__(self, results: dict) -> dict:
        if np.random.rand() > self.prob:
            return results
        require(results, 'img', type(self).__name__)
        for key in results.get('img_fields', ['img']):
            img = results[key]
            results[key] = adjust_contrast(img, self.factor).astype(img.dtype)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(level={self.level}, prob={self.prob})'
