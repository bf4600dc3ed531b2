"""The API shared by :class:`BitmapMasks` and :class:`PolygonMasks` (MMDetection 2.x's).

Instance masks of one image: N instances on an H x W canvas. Every geometric
operation returns a new object of the same kind; transforms call them without
knowing which kind they hold.
"""
from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Optional, Sequence, Union

import numpy as np
import torch


class BaseInstanceMasks(metaclass=ABCMeta):
    """Abstract base: N instance masks of an image of ``height`` x ``width``."""

    height: int
    width: int

    @abstractmethod
    def rescale(self, scale: Union[float, Sequence[int]], interpolation: str = 'nearest'):
        """Rescale keeping the aspect ratio; ``scale`` as in ``rescale_size`` (w, h) bound."""

    @abstractmethod
    def resize(self, out_shape: Sequence[int], interpolation: str = 'nearest'):
        """Resize to ``out_shape`` = (h, w)."""

    @abstractmethod
    def flip(self, flip_direction: str = 'horizontal'):
        """Flip: 'horizontal', 'vertical' or 'diagonal'."""

    @abstractmethod
    def pad(self, out_shape: Sequence[int], pad_val: int = 0):
        """Pad bottom/right to ``out_shape`` = (h, w)."""

    @abstractmethod
    def crop(self, bbox: np.ndarray):
        """Crop to ``bbox`` (4,) int [x1, y1, x2, y2], clipped to the canvas."""

    @abstractmethod
    def crop_and_resize(self, bboxes: np.ndarray, out_shape: Sequence[int], inds: np.ndarray,
                        device: str = 'cpu', interpolation: str = 'bilinear',
                        binarize: bool = True):
        """Mask targets: crop mask ``inds[i]`` to ``bboxes[i]`` (K, 4) and resize to (h, w)."""

    @abstractmethod
    def expand(self, expanded_h: int, expanded_w: int, top: int, left: int):
        """Place the masks at (top, left) of a larger empty canvas."""

    @abstractmethod
    def translate(self, out_shape: Sequence[int], offset: float,
                  direction: str = 'horizontal', fill_val=0,
                  interpolation: str = 'bilinear'):
        """Shift by ``offset`` px right ('horizontal') or down ('vertical')."""

    @abstractmethod
    def shear(self, out_shape: Sequence[int], magnitude: float,
              direction: str = 'horizontal', border_value=0,
              interpolation: str = 'bilinear'):
        """Shear: x += magnitude * y ('horizontal') or y += magnitude * x ('vertical')."""

    @abstractmethod
    def rotate(self, out_shape: Sequence[int], angle: float,
               center: Optional[Sequence[float]] = None, scale: float = 1.0,
               fill_val=0):
        """Rotate ``angle`` degrees clockwise about ``center`` (x, y)."""

    @property
    @abstractmethod
    def areas(self) -> np.ndarray:
        """(N,) areas in pixels."""

    @abstractmethod
    def to_ndarray(self) -> np.ndarray:
        """(N, H, W) bitmap array."""

    @abstractmethod
    def to_tensor(self, dtype: torch.dtype, device: Union[str, torch.device]) -> torch.Tensor:
        """(N, H, W) tensor of ``dtype`` on ``device``."""

    @abstractmethod
    def get_bboxes(self) -> np.ndarray:
        """(N, 4) float32 tight boxes [x1, y1, x2, y2]; zeros for empty masks."""

    @abstractmethod
    def __len__(self) -> int:
        """N."""

    @abstractmethod
    def __getitem__(self, index):
        """A new object holding the selected instances."""
