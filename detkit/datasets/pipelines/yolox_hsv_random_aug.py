"""YOLOXHSVRandomAug: integer HSV gains on a uint8 image, as in YOLOX."""
from __future__ import annotations

import cv2
import numpy as np

from detkit.registry import PIPELINES

from ._augment_utils import require


@PIPELINES.register_module()
class YOLOXHSVRandomAug:
    """Random HSV gains; each of H, S, V is changed with probability 0.5.

    Gains are drawn as ``uniform(-1, 1, 3) * (hue_delta, saturation_delta, value_delta)``,
    zeroed by a ``randint(0, 2, 3)`` draw, truncated to integers; hue wraps modulo 180
    (OpenCV's 8-bit hue), saturation and value are clipped to [0, 255].

    Args:
        hue_delta (int): max hue change. Default: 5.
        saturation_delta (int): max saturation change. Default: 30.
        value_delta (int): max value change. Default: 30.

    Required keys: ``img`` (H, W, 3) uint8 BGR; changed in place, dtype kept.
    """

    def __init__(self, hue_delta: int = 5, saturation_delta: int = 30, value_delta: int = 30):
        self.hue_delta = hue_delta
        self.saturation_delta = saturation_delta
        self.value_delta = value_delta

    def __call__(self, results: dict) -> dict:
        require(results, 'img', type(self).__name__)
        img = results['img']
        if img.dtype != np.uint8:
            raise TypeError(f'{type(self).__name__} needs a uint8 image (8-bit HSV), but got '
                            f'{img.dtype}; place it before any transform that makes the image '
                            f'float')
        gains = np.random.uniform(-1, 1, 3) * [
            self.hue_delta, self.saturation_delta, self.value_delta]
        gains *= np.random.randint(0, 2, 3)
        gains = gains.astype(np.int16)  # truncation towards zero, as YOLOX
        hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV).astype(np.int16)
        hsv[..., 0] = (hsv[..., 0] + gains[0]) % 180
        hsv[..., 1] = np.clip(hsv[..., 1] + gains[1], 0, 255)
        hsv[..., 2] = np.clip(hsv[..., 2] + gains[2], 0, 255)
        # cv2 writes into ``dst`` only when it is contiguous (a flipped view is not)
        img = np.ascontiguousarray(img)
        cv2.cvtColor(hsv.astype(img.dtype), cv2.COLOR_HSV2BGR, dst=img)
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(hue_delta={self.hue_delta}, '
                f'saturation_delta={self.saturation_delta}, value_delta={self.value_delta})')
