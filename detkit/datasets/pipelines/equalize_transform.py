"""EqualizeTransform: AutoAugment's histogram equalisation; boxes and masks are unchanged."""
from __future__ import annotations

import numpy as np

from detkit.registry import PIPELINES

from ._augment_utils import check_prob, imequalize, require


@PIPELINES.register_module()
class EqualizeTransform:
    """Equalise the histogram of each channel (PIL ``ImageOps.equalize``) with probability ``prob``.

    Args:
        prob (float): probability of applying it.

    Required keys: ``img`` (H, W, 3) with values in [0, 255]; dtype is kept. Draw:
    ``rand()`` against ``prob``.
    """

    def __init__(self, prob: float = 0.5):
        check_prob(prob, type(self).__name__)
        self.prob = prob

    def __call__(self, results: dict) -> dict:
        if np.random.rand() > self.prob:
            return results
        require(results, 'img', type(self).__name__)
        for key in results.get('img_fields', ['img']):
            img = results[key]
            results[key] = imequalize(img).astype(img.dtype)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob})'
