"""SegRescale: rescale semantic maps (e.g. to a head's output stride)."""
from __future__ import annotations

from ...registry import PIPELINES
from ._image import imrescale
from ._utils import field_keys


@PIPELINES.register_module()
class SegRescale:
    """Rescale every map in ``seg_fields`` by ``scale_factor`` (nearest).

    Args:
        scale_factor (float): the factor (1 leaves maps untouched).
        backend (str): 'cv2' or 'pillow'.
    """

    def __init__(self, scale_factor: float = 1, backend: str = 'cv2'):
        self.scale_factor = scale_factor
        self.backend = backend

    def __call__(self, results: dict) -> dict:
        if self.scale_factor == 1:
            return results
        for key in field_keys(results, 'seg_fields', 'SegRescale'):
            results[key] = imrescale(results[key], self.scale_factor, interpolation='nearest',
                                     backend=self.backend)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(scale_factor={self.scale_factor})'
