"""Instance masks stored as an (N, H, W) array (MMDetection 2.x ``BitmapMasks``)."""
from __future__ import annotations

from typing import Callable, Optional, Sequence, Union

import numpy as np
import torch

from .. import image_ops as _image
from .base_masks import BaseInstanceMasks

# OpenCV (5.x) warps and resizes at most 128 channels per call
_CV_CHANNEL_CHUNK = 128
_FLIP_DIRECTIONS = ('horizontal', 'vertical', 'diagonal')


def _apply_hwc(masks: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Run an image op on all N masks at once, as channels of an (H, W, N) image.

    Args:
        masks (ndarray): (N, H, W), N > 0.
        fn: maps an (H, W, k) image to an (H', W', k) image.

    Returns:
        ndarray: (N, H', W') with the dtype of ``masks``.
    """
    dtype = masks.dtype
    work = masks.astype(np.uint8) if dtype.kind == 'b' else masks
    outs = []
    for start in range(0, len(work), _CV_CHANNEL_CHUNK):
        chunk = np.ascontiguousarray(work[start:start + _CV_CHANNEL_CHUNK].transpose(1, 2, 0))
        out = fn(chunk)
        if out.ndim == 2:
            out = out[..., None]
        outs.append(out.transpose(2, 0, 1))
    return np.concatenate(outs).astype(dtype, copy=False)


class BitmapMasks(BaseInstanceMasks):
    """N binary masks of an H x W image.

    Args:
        masks (ndarray | list[ndarray]): (N, H, W) array or N (H, W) arrays
            (uint8 0/1, or bool).
        height (int): H.
        width (int): W.

    Example:
        >>> masks = BitmapMasks(np.zeros((2, 4, 6), np.uint8), 4, 6)
        >>> masks.flip('horizontal').resize((8, 12)).masks.shape
        (2, 8, 12)
    """

    def __init__(self, masks: Union[np.ndarray, Sequence[np.ndarray]], height: int, width: int):
        self.height = int(height)
        self.width = int(width)
        if len(masks) == 0:
            self.masks = np.empty((0, self.height, self.width), dtype=np.uint8)
            return
        if isinstance(masks, (list, tuple)):
            if not all(isinstance(m, np.ndarray) and m.ndim == 2 for m in masks):
                raise TypeError('BitmapMasks: a list of masks must hold 2-D (H, W) ndarrays')
            masks = np.stack(masks)
        elif not isinstance(masks, np.ndarray):
            raise TypeError(f'BitmapMasks: masks must be an ndarray or a list of ndarrays, '
                            f'but got {type(masks).__name__}')
        self.masks = masks.reshape(-1, *masks.shape[-2:])
        if self.masks.shape[1:] != (self.height, self.width):
            raise ValueError(f'BitmapMasks: masks of shape {self.masks.shape[1:]} do not match '
                             f'height={self.height}, width={self.width}')

    # -- container ----------------------------------------------------------------------
    def __getitem__(self, index) -> BitmapMasks:
        masks = self.masks[index].reshape(-1, self.height, self.width)
        return BitmapMasks(masks, self.height, self.width)

    def __iter__(self):
        return iter(self.masks)

    def __len__(self) -> int:
        return len(self.masks)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_masks={len(self.masks)}, '
                f'height={self.height}, width={self.width})')

    def _empty(self, h: int, w: int) -> BitmapMasks:
        return BitmapMasks(np.empty((0, h, w), dtype=np.uint8), h, w)

    # -- geometry -----------------------------------------------------------------------
    def rescale(self, scale: Union[float, Sequence[int]],
                interpolation: str = 'nearest') -> BitmapMasks:
        """Rescale keeping the aspect ratio, like ``_image.imrescale`` on each mask."""
        new_w, new_h = _image.rescale_size((self.width, self.height), scale)
        return self.resize((new_h, new_w), interpolation)

    def resize(self, out_shape: Sequence[int], interpolation: str = 'nearest') -> BitmapMasks:
        """Resize to ``out_shape`` = (h, w)."""
        h, w = int(out_shape[0]), int(out_shape[1])
        if len(self.masks) == 0:
            return self._empty(h, w)
        resized = _apply_hwc(self.masks, lambda m: _image.imresize(
            m, (w, h), interpolation=interpolation))
        return BitmapMasks(resized, h, w)

    def flip(self, flip_direction: str = 'horizontal') -> BitmapMasks:
        """Flip along W ('horizontal'), H ('vertical') or both ('diagonal')."""
        if flip_direction not in _FLIP_DIRECTIONS:
            raise ValueError(f'BitmapMasks.flip: flip_direction must be one of '
                             f'{_FLIP_DIRECTIONS}, but got {flip_direction!r}')
        axis = {'horizontal': (2,), 'vertical': (1,), 'diagonal': (1, 2)}[flip_direction]
        return BitmapMasks(np.flip(self.masks, axis=axis).copy(), self.height, self.width)

    def pad(self, out_shape: Sequence[int], pad_val: int = 0) -> BitmapMasks:
        """Pad bottom/right with ``pad_val`` to ``out_shape`` = (h, w)."""
        h, w = int(out_shape[0]), int(out_shape[1])
        if len(self.masks) == 0:
            return self._empty(h, w)
        if h < self.height or w < self.width:
            raise ValueError(f'BitmapMasks.pad: cannot pad ({self.height}, {self.width}) masks '
                             f'to the smaller shape ({h}, {w})')
        padded = np.full((len(self.masks), h, w), pad_val, dtype=self.masks.dtype)
        padded[:, :self.height, :self.width] = self.masks
        return BitmapMasks(padded, h, w)

    def crop(self, bbox: np.ndarray) -> BitmapMasks:
        """Crop to ``bbox`` (4,) int [x1, y1, x2, y2], clipped to the canvas; the
        result is at least 1 x 1, as in MMDetection."""
        if not (isinstance(bbox, np.ndarray) and bbox.ndim == 1 and bbox.size == 4):
            raise ValueError(f'BitmapMasks.crop: bbox must be a (4,) ndarray, got {bbox!r}')
        bbox = bbox.copy()
        bbox[0::2] = np.clip(bbox[0::2], 0, self.width)
        bbox[1::2] = np.clip(bbox[1::2], 0, self.height)
        x1, y1, x2, y2 = (int(v) for v in bbox)
        w, h = max(x2 - x1, 1), max(y2 - y1, 1)
        if len(self.masks) == 0:
            return self._empty(h, w)
        cropped = self.masks[:, y1:y1 + h, x1:x1 + w]
        return BitmapMasks(cropped, *cropped.shape[1:])

    def crop_and_resize(self, bboxes: Union[np.ndarray, torch.Tensor], out_shape: Sequence[int],
                        inds: Union[np.ndarray, torch.Tensor], device: str = 'cpu',
                        interpolation: str = 'bilinear', binarize: bool = True
                        ) -> BitmapMasks:
        """Mask targets for the mask head, by RoIAlign (aligned=True, adaptive sampling).

        Args:
            bboxes (ndarray | Tensor): (K, 4) boxes [x1, y1, x2, y2] in mask pixels.
            out_shape (tuple): (h, w) of each target.
            inds (ndarray | Tensor): (K,) which mask each box crops.
            device (str): where RoIAlign runs.
            interpolation (str): kept for API compatibility; RoIAlign is bilinear.
            binarize (bool): threshold the averaged values at 0.5.

        Returns:
            BitmapMasks: K masks of ``out_shape`` (bool if binarized, else float).
        """
        from ...ops import roi_align  # the compiled op; imported here so masks work without it
        out_h, out_w = int(out_shape[0]), int(out_shape[1])
        if len(self.masks) == 0:
            return self._empty(out_h, out_w)
        if isinstance(bboxes, np.ndarray):
            bboxes = torch.from_numpy(bboxes)
        if isinstance(inds, np.ndarray):
            inds = torch.from_numpy(inds)
        bboxes = bboxes.to(device)
        inds = inds.to(device=device, dtype=torch.long)
        num_bbox = bboxes.shape[0]
        if num_bbox == 0:
            return self._empty(out_h, out_w)
        fake_inds = torch.arange(num_bbox, device=device, dtype=bboxes.dtype)[:, None]
        rois = torch.cat([fake_inds, bboxes], dim=1)
        gt_masks = torch.from_numpy(self.masks).to(device).index_select(0, inds).to(rois.dtype)
        targets = roi_align(gt_masks[:, None], rois, (out_h, out_w), 1.0, 0, 'avg',
                            True).squeeze(1)
        resized = (targets >= 0.5).cpu().numpy() if binarize else targets.cpu().numpy()
        return BitmapMasks(resized, out_h, out_w)

    def expand(self, expanded_h: int, expanded_w: int, top: int, left: int) -> BitmapMasks:
        """Place the masks at (top, left) of a zero canvas of (expanded_h, expanded_w)."""
        expanded = np.zeros((len(self.masks), expanded_h, expanded_w), dtype=self.masks.dtype)
        expanded[:, top:top + self.height, left:left + self.width] = self.masks
        return BitmapMasks(expanded, expanded_h, expanded_w)

    def translate(self, out_shape: Sequence[int], offset: float, direction: str = 'horizontal',
                  fill_val=0, interpolation: str = 'bilinear') -> BitmapMasks:
        """Shift by ``offset`` px; the canvas keeps its size (``out_shape`` is used only
        for empty masks, as in MMDetection)."""
        if len(self.masks) == 0:
            return self._empty(int(out_shape[0]), int(out_shape[1]))
        out = _apply_hwc(self.masks, lambda m: _image.imtranslate(
            m, offset, direction, border_value=fill_val, interpolation=interpolation))
        return BitmapMasks(out, self.height, self.width)

    def shear(self, out_shape: Sequence[int], magnitude: float, direction: str = 'horizontal',
              border_value=0, interpolation: str = 'bilinear') -> BitmapMasks:
        """Shear (see ``_image.imshear``); the canvas keeps its size."""
        if len(self.masks) == 0:
            return self._empty(int(out_shape[0]), int(out_shape[1]))
        out = _apply_hwc(self.masks, lambda m: _image.imshear(
            m, magnitude, direction, border_value=border_value, interpolation=interpolation))
        return BitmapMasks(out, self.height, self.width)

    def rotate(self, out_shape: Sequence[int], angle: float,
               center: Optional[Sequence[float]] = None, scale: float = 1.0,
               fill_val=0) -> BitmapMasks:
        """Rotate clockwise by ``angle`` degrees about ``center`` (x, y; default the
        centre pixel), bilinear as in MMDetection; the canvas keeps its size."""
        if len(self.masks) == 0:
            return self._empty(int(out_shape[0]), int(out_shape[1]))
        out = _apply_hwc(self.masks, lambda m: _image.imrotate(
            m, angle, center=center, scale=scale, border_value=fill_val))
        return BitmapMasks(out, self.height, self.width)

    # -- conversion ---------------------------------------------------------------------
    @property
    def areas(self) -> np.ndarray:
        """(N,) number of foreground pixels."""
        return self.masks.sum((1, 2))

    def to_ndarray(self) -> np.ndarray:
        return self.masks

    def to_tensor(self, dtype: torch.dtype, device: Union[str, torch.device]) -> torch.Tensor:
        return torch.tensor(self.masks, dtype=dtype, device=device)

    def get_bboxes(self) -> np.ndarray:
        """(N, 4) float32 tight boxes [x1, y1, x2 + 1, y2 + 1] of the foreground pixels
        (pixel i spans [i, i + 1]); all zeros for an empty mask."""
        n = len(self.masks)
        boxes = np.zeros((n, 4), dtype=np.float32)
        if n == 0:
            return boxes
        cols = self.masks.any(axis=1)  # (N, W)
        rows = self.masks.any(axis=2)  # (N, H)
        nonempty = cols.any(axis=1)
        x1 = cols.argmax(axis=1)
        x2 = self.width - cols[:, ::-1].argmax(axis=1)
        y1 = rows.argmax(axis=1)
        y2 = self.height - rows[:, ::-1].argmax(axis=1)
        boxes[nonempty] = np.stack([x1, y1, x2, y2], axis=1)[nonempty]
        return boxes

    @classmethod
    def random(cls, num_masks: int = 3, height: int = 32, width: int = 32,
               dtype=np.uint8, rng: Optional[np.random.RandomState] = None) -> BitmapMasks:
        """Random masks (each pixel on with probability 0.9), for tests."""
        rng = rng if rng is not None else np.random.RandomState()
        masks = (rng.rand(num_masks, height, width) > 0.1).astype(dtype)
        return cls(masks, height=height, width=width)
