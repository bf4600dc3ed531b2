"""CutOut: fill random rectangles of the image with a constant."""
from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np

from detkit.registry import PIPELINES

from ._augment_utils import require


@PIPELINES.register_module()
class CutOut:
    """Randomly drop rectangular regions of the image (`Cutout <https://arxiv.org/abs/1708.04552>`_).

    Args:
        n_holes (int | tuple[int, int]): number of regions; a tuple draws it from the closed
            interval ``[n_holes[0], n_holes[1]]``.
        cutout_shape (tuple[int, int] | list[tuple[int, int]], optional): candidate (w, h)
            of a region in pixels; one candidate is drawn per hole.
        cutout_ratio (tuple[float, float] | list[tuple[float, float]], optional): candidate
            (w, h) as fractions of the image size. Give exactly one of the two.
        fill_in (tuple[float, float, float]): pixel value of the dropped regions.

    Required keys: ``img`` (H, W, C). Boxes and masks are not changed. A hole with top-left
    ``(x1, y1)`` covers ``img[y1:y1 + h, x1:x1 + w]`` clipped to the image.
    """

    def __init__(self, n_holes: Union[int, tuple], cutout_shape: Optional[Sequence] = None,
                 cutout_ratio: Optional[Sequence] = None,
                 fill_in: Sequence[float] = (0, 0, 0)):
        if (cutout_shape is None) == (cutout_ratio is None):
            raise ValueError('CutOut: give exactly one of cutout_shape and cutout_ratio, but got '
                             f'cutout_shape={cutout_shape!r}, cutout_ratio={cutout_ratio!r}')
        candidates = cutout_ratio if cutout_ratio is not None else cutout_shape
        if not isinstance(candidates, (list, tuple)):
            raise TypeError('CutOut: cutout_shape / cutout_ratio must be a tuple or a list of '
                            f'tuples, but got {type(candidates).__name__}')
        if isinstance(n_holes, tuple):
            if not (len(n_holes) == 2 and 0 <= n_holes[0] < n_holes[1]):
                raise ValueError('CutOut: n_holes as a tuple must be (low, high) with '
                                 f'0 <= low < high, but got {n_holes}')
        else:
            n_holes = (n_holes, n_holes)
        self.n_holes = n_holes
        self.fill_in = fill_in
        self.with_ratio = cutout_ratio is not None
        self.candidates = candidates if isinstance(candidates, list) else [candidates]

    def __call__(self, results: dict) -> dict:
        require(results, 'img', type(self).__name__)
        img = results['img']
        h, w = img.shape[:2]
        n_holes = np.random.randint(self.n_holes[0], self.n_holes[1] + 1)
        # one hole at a time: the draw order (x1, y1, candidate) must match MMDetection's
        for _ in range(n_holes):
            x1 = np.random.randint(0, w)
            y1 = np.random.randint(0, h)
            index = np.random.randint(0, len(self.candidates))
            if self.with_ratio:
                cut_w = int(self.candidates[index][0] * w)
                cut_h = int(self.candidates[index][1] * h)
            else:
                cut_w, cut_h = self.candidates[index]
            x2 = np.clip(x1 + cut_w, 0, w)
            y2 = np.clip(y1 + cut_h, 0, h)
            img[y1:y2, x1:x2, ...] = self.fill_in
        results['img'] = img
        return results

    def __repr__(self) -> str:
        kind = 'cutout_ratio' if self.with_ratio else 'cutout_shape'
        return (f'{type(self).__name__}(n_holes={self.n_holes}, {kind}={self.candidates}, '
                f'fill_in={self.fill_in})')
