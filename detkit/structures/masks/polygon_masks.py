"""Instance masks stored as polygons (MMDetection 2.x ``PolygonMasks``).

Coordinates are continuous: pixel (i, j) covers [j, j + 1] x [i, i + 1], so a
polygon [0, 0, 4, 0, 4, 4, 0, 4] rasterises (pycocotools) to the 4 x 4 pixels
of a bitmap, and a flip maps x to W - x for both kinds.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import cv2
import numpy as np
import torch

from .. import image_ops
from ._polygon_utils import clip_polygon, polygon_area, polygon_to_bitmap
from .base_masks import BaseInstanceMasks
from .bitmap_masks import BitmapMasks

_FLIP_DIRECTIONS = ('horizontal', 'vertical', 'diagonal')
# the placeholder polygon of an instance cropped away: keeps masks aligned with boxes
_EMPTY_POLYGON = np.zeros(6)


class PolygonMasks(BaseInstanceMasks):
    """N instances, each a list of polygons, on an H x W canvas.

    Args:
        masks (list[list[ndarray]]): per instance, a list of flat polygons
            [x0, y0, x1, y1, ...] (at least 3 points each).
        height (int): H.
        width (int): W.
    """

    def __init__(self, masks: Sequence[Sequence[np.ndarray]], height: int, width: int):
        if not isinstance(masks, (list, tuple)):
            raise TypeError(f'PolygonMasks: masks must be a list of lists of polygons, but got '
                            f'{type(masks).__name__}')
        if len(masks) > 0 and not all(isinstance(m, (list, tuple)) for m in masks):
            raise TypeError('PolygonMasks: each instance must be a list of polygons, e.g. '
                            '[[np.array([x0, y0, x1, y1, x2, y2])], ...]')
        self.height = int(height)
        self.width = int(width)
        self.masks = [[np.asarray(p) for p in obj] for obj in masks]

    # -- container ----------------------------------------------------------------------
    def __getitem__(self, index) -> PolygonMasks:
        if isinstance(index, torch.Tensor):
            index = index.detach().cpu().numpy()
        if isinstance(index, np.ndarray):
            if index.dtype == bool:
                index = np.flatnonzero(index)
            index = index.reshape(-1).tolist() if index.ndim else int(index)
        if isinstance(index, list):
            masks = [self.masks[i] for i in index]
        else:
            try:
                masks = self.masks[index]
            except Exception as e:
                raise ValueError(f'PolygonMasks: unsupported index {index!r} '
                                 f'({type(index).__name__})') from e
        if len(masks) and isinstance(masks[0], np.ndarray):
            masks = [masks]  # an int index selects one instance's polygon list
        return PolygonMasks(masks, self.height, self.width)

    def __iter__(self):
        return iter(self.masks)

    def __len__(self) -> int:
        return len(self.masks)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_masks={len(self.masks)}, '
                f'height={self.height}, width={self.width})')

    def _map(self, fn, height: int, width: int) -> PolygonMasks:
        """Apply ``fn`` to every polygon (flat float64 copy) -> new PolygonMasks."""
        return PolygonMasks([[fn(np.array(p, dtype=np.float64)) for p in obj]
                             for obj in self.masks], height, width)

    # -- geometry -----------------------------------------------------------------------
    def rescale(self, scale: Union[float, Sequence[int]],
                interpolation: Optional[str] = None) -> PolygonMasks:
        new_w, new_h = image_ops.rescale_size((self.width, self.height), scale)
        return self.resize((new_h, new_w))

    def resize(self, out_shape: Sequence[int],
               interpolation: Optional[str] = None) -> PolygonMasks:
        """Scale x by out_w / W and y by out_h / H (``interpolation`` is ignored)."""
        h, w = int(out_shape[0]), int(out_shape[1])
        h_scale, w_scale = h / self.height, w / self.width

        def scale(p):
            p[0::2] *= w_scale
            p[1::2] *= h_scale
            return p
        return self._map(scale, h, w)

    def flip(self, flip_direction: str = 'horizontal') -> PolygonMasks:
        if flip_direction not in _FLIP_DIRECTIONS:
            raise ValueError(f'PolygonMasks.flip: flip_direction must be one of '
                             f'{_FLIP_DIRECTIONS}, but got {flip_direction!r}')

        def flip(p):
            if flip_direction in ('horizontal', 'diagonal'):
                p[0::2] = self.width - p[0::2]
            if flip_direction in ('vertical', 'diagonal'):
                p[1::2] = self.height - p[1::2]
            return p
        return self._map(flip, self.height, self.width)

    def pad(self, out_shape: Sequence[int], pad_val: int = 0) -> PolygonMasks:
        """Bottom/right padding only grows the canvas."""
        return PolygonMasks(self.masks, int(out_shape[0]), int(out_shape[1]))

    def crop(self, bbox: np.ndarray) -> PolygonMasks:
        """Crop to ``bbox`` [x1, y1, x2, y2] (clipped to the canvas, at least 1 x 1).

        Polygons are clipped to the crop (as MMDetection >= 2.26 does; 2.25 only
        shifted them), so areas and tight boxes stay right; an instance cropped
        away keeps a zero-area placeholder polygon so masks stay aligned with boxes.
        """
        if not (isinstance(bbox, np.ndarray) and bbox.ndim == 1 and bbox.size == 4):
            raise ValueError(f'PolygonMasks.crop: bbox must be a (4,) ndarray, got {bbox!r}')
        bbox = bbox.copy()
        bbox[0::2] = np.clip(bbox[0::2], 0, self.width)
        bbox[1::2] = np.clip(bbox[1::2], 0, self.height)
        x1, y1, x2, y2 = (float(v) for v in bbox)
        w, h = int(max(x2 - x1, 1)), int(max(y2 - y1, 1))
        cropped = []
        for obj in self.masks:
            polys = []
            for p in obj:
                clipped = clip_polygon(np.asarray(p, dtype=np.float64), x1, y1, x2, y2)
                if clipped.size:
                    clipped[0::2] -= x1
                    clipped[1::2] -= y1
                    polys.append(clipped)
            cropped.append(polys or [_EMPTY_POLYGON.copy()])
        return PolygonMasks(cropped, h, w)

    def crop_and_resize(self, bboxes: Union[np.ndarray, torch.Tensor], out_shape: Sequence[int],
                        inds: Union[np.ndarray, torch.Tensor], device: str = 'cpu',
                        interpolation: str = 'bilinear', binarize: bool = True
                        ) -> PolygonMasks:
        """Crop polygon ``inds[i]`` to ``bboxes[i]`` (K, 4) and scale it to ``out_shape``;
        rasterisation clips what falls outside."""
        out_h, out_w = int(out_shape[0]), int(out_shape[1])
        if len(self.masks) == 0:
            return PolygonMasks([], out_h, out_w)
        if not binarize:
            raise ValueError('PolygonMasks.crop_and_resize: polygons are always binary, '
                             'binarize=False is not supported')
        if isinstance(bboxes, torch.Tensor):
            bboxes = bboxes.detach().cpu().numpy()
        if isinstance(inds, torch.Tensor):
            inds = inds.detach().cpu().numpy()
        resized = []
        for bbox, ind in zip(np.asarray(bboxes, dtype=np.float64), np.asarray(inds)):
            x1, y1, x2, y2 = bbox
            # a degenerate box would blow the scale up; MMDetection bounds it the same way
            w_scale = out_w / max(max(x2 - x1, 1), 0.1)
            h_scale = out_h / max(max(y2 - y1, 1), 0.1)
            polys = []
            for p in self.masks[int(ind)]:
                p = np.array(p, dtype=np.float64)
                p[0::2] = (p[0::2] - x1) * w_scale
                p[1::2] = (p[1::2] - y1) * h_scale
                polys.append(p)
            resized.append(polys)
        return PolygonMasks(resized, out_h, out_w)

    def expand(self, expanded_h: int, expanded_w: int, top: int, left: int) -> PolygonMasks:
        def shift(p):
            p[0::2] += left
            p[1::2] += top
            return p
        return self._map(shift, expanded_h, expanded_w)

    def translate(self, out_shape: Sequence[int], offset: float, direction: str = 'horizontal',
                  fill_val=None, interpolation=None) -> PolygonMasks:
        """Shift by ``offset`` and clamp coordinates into ``out_shape`` = (h, w)."""
        if fill_val not in (None, 0):
            raise ValueError(f'PolygonMasks.translate: fill_val must be None or 0 (polygons '
                             f'have no fill), but got {fill_val!r}')
        if direction not in ('horizontal', 'vertical'):
            raise ValueError(f"PolygonMasks.translate: direction must be 'horizontal' or "
                             f"'vertical', but got {direction!r}")
        h, w = int(out_shape[0]), int(out_shape[1])
        axis, bound = (0, w) if direction == 'horizontal' else (1, h)

        def move(p):
            p[axis::2] = np.clip(p[axis::2] + offset, 0, bound)
            return p
        return self._map(move, h, w)

    def shear(self, out_shape: Sequence[int], magnitude: float, direction: str = 'horizontal',
              border_value=0, interpolation: str = 'bilinear') -> PolygonMasks:
        """Shear and clamp coordinates into ``out_shape`` = (h, w)."""
        if direction not in ('horizontal', 'vertical'):
            raise ValueError(f"PolygonMasks.shear: direction must be 'horizontal' or "
                             f"'vertical', but got {direction!r}")
        h, w = int(out_shape[0]), int(out_shape[1])
        matrix = (np.array([[1, magnitude], [0, 1]]) if direction == 'horizontal'
                  else np.array([[1, 0], [magnitude, 1]]))
        return self._map(lambda p: self._affine(p, matrix, np.zeros(2), h, w), h, w)

    def rotate(self, out_shape: Sequence[int], angle: float,
               center: Optional[Sequence[float]] = None, scale: float = 1.0,
               fill_val=0) -> PolygonMasks:
        """Rotate clockwise about ``center`` (x, y; default the canvas centre, W/2, H/2)
        and clamp coordinates into ``out_shape`` = (h, w)."""
        h, w = int(out_shape[0]), int(out_shape[1])
        if center is None:
            center = (self.width * 0.5, self.height * 0.5)
        m = cv2.getRotationMatrix2D(tuple(float(c) for c in center), -angle, scale)
        return self._map(lambda p: self._affine(p, m[:, :2], m[:, 2], h, w), h, w)

    @staticmethod
    def _affine(p: np.ndarray, linear: np.ndarray, shift: np.ndarray, h: int, w: int
                ) -> np.ndarray:
        coords = p.reshape(-1, 2) @ linear.T + shift
        coords[:, 0] = np.clip(coords[:, 0], 0, w)
        coords[:, 1] = np.clip(coords[:, 1], 0, h)
        return coords.reshape(-1)

    # -- conversion ---------------------------------------------------------------------
    def to_bitmap(self) -> BitmapMasks:
        return BitmapMasks(self.to_ndarray(), self.height, self.width)

    @property
    def areas(self) -> np.ndarray:
        """(N,) sum of each instance's polygon areas (shoelace; holes are not subtracted,
        as in MMDetection)."""
        return np.asarray([sum(polygon_area(p[0::2], p[1::2]) for p in obj)
                           for obj in self.masks], dtype=np.float64)

    def to_ndarray(self) -> np.ndarray:
        """(N, H, W) bool rasterisation (pycocotools)."""
        if len(self.masks) == 0:
            return np.empty((0, self.height, self.width), dtype=np.uint8)
        return np.stack([polygon_to_bitmap(obj, self.height, self.width)
                         for obj in self.masks])

    def to_tensor(self, dtype: torch.dtype, device: Union[str, torch.device]) -> torch.Tensor:
        if len(self.masks) == 0:
            return torch.empty((0, self.height, self.width), dtype=dtype, device=device)
        return torch.tensor(self.to_ndarray(), dtype=dtype, device=device)

    def get_bboxes(self) -> np.ndarray:
        """(N, 4) float32 [min x, min y, max x, max y] over each instance's vertices
        (zeros for an instance without polygons)."""
        boxes = np.zeros((len(self.masks), 4), dtype=np.float32)
        for i, obj in enumerate(self.masks):
            if not obj:
                continue
            xy = np.concatenate([np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in obj])
            boxes[i] = [xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max()]
        return boxes

    @classmethod
    def random(cls, num_masks: int = 3, height: int = 32, width: int = 32, n_verts: int = 5,
               rng: Optional[np.random.RandomState] = None) -> PolygonMasks:
        """Random star-shaped polygons inside the canvas (one per instance), for tests."""
        rng = rng if rng is not None else np.random.RandomState()
        masks = []
        for _ in range(num_masks):
            cx, cy = rng.uniform(0.25, 0.75) * width, rng.uniform(0.25, 0.75) * height
            max_r = min(cx, cy, width - cx, height - cy)
            angles = np.sort(rng.uniform(0, 2 * np.pi, n_verts))
            radii = rng.uniform(0.6, 1.0, n_verts) * max_r
            poly = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], 1)
            masks.append([poly.reshape(-1)])
        return cls(masks, height, width)
