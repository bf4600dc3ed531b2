"""PhotoMetricDistortion: SSD-style random brightness, contrast, saturation, hue, channel swap."""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from detkit.registry import PIPELINES

from ._augment_utils import check_single_img_field, require


@PIPELINES.register_module()
class PhotoMetricDistortion:
    """Apply photometric distortion to the image, each step with probability 0.5.

    In order: random brightness; random contrast (mode 0); BGR -> HSV; random saturation;
    random hue; HSV -> BGR; random contrast (mode 1); random channel permutation. Whether
    contrast comes second or second to last is itself drawn at random.

    Args:
        brightness_delta (int): a uniform delta in [-d, d] is added to every pixel.
        contrast_range (tuple[float]): (lower, upper) of the multiplicative contrast.
        saturation_range (tuple[float]): (lower, upper) of the saturation multiplier.
        hue_delta (int): a uniform delta in [-d, d] degrees is added to the hue.

    Required keys: ``img`` (H, W, 3) BGR. The output ``img`` is float32 (values are not
    clipped, as in MMDetection).
    """

    def __init__(self, brightness_delta: int = 32, contrast_range: Sequence[float] = (0.5, 1.5),
                 saturation_range: Sequence[float] = (0.5, 1.5), hue_delta: int = 18):
        self.brightness_delta = brightness_delta
        self.contrast_lower, self.contrast_upper = contrast_range
        self.saturation_lower, self.saturation_upper = saturation_range
        self.hue_delta = hue_delta

    def _contrast(self, img: np.ndarray) -> np.ndarray:
        if np.random.randint(2):
            img *= np.random.uniform(self.contrast_lower, self.contrast_upper)
        return img

    def __call__(self, results: dict) -> dict:
        require(results, 'img', type(self).__name__)
        check_single_img_field(results, type(self).__name__)
        img = results['img'].astype(np.float32)
        if np.random.randint(2):
            img += np.random.uniform(-self.brightness_delta, self.brightness_delta)

        # mode 1: contrast before the HSV steps, mode 0: after them
        mode = np.random.randint(2)
        if mode == 1:
            img = self._contrast(img)

        # float32 HSV: H in [0, 360), S in [0, 1], V keeps the input's scale
        img = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
        if np.random.randint(2):
            img[..., 1] *= np.random.uniform(self.saturation_lower, self.saturation_upper)
        if np.random.randint(2):
            img[..., 0] += np.random.uniform(-self.hue_delta, self.hue_delta)
            img[..., 0][img[..., 0] > 360] -= 360
            img[..., 0][img[..., 0] < 0] += 360
        img = cv2.cvtColor(img, cv2.COLOR_HSV2BGR)

        if mode == 0:
            img = self._contrast(img)
        if np.random.randint(2):
            img = img[..., np.random.permutation(3)]
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(brightness_delta={self.brightness_delta}, '
                f'contrast_range={(self.contrast_lower, self.contrast_upper)}, '
                f'saturation_range={(self.saturation_lower, self.saturation_upper)}, '
                f'hue_delta={self.hue_delta})')
