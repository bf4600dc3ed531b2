"""RandomAffine: YOLOX's random rotation, scaling, shear and translation of image and boxes."""
from __future__ import annotations

import math
from typing import Sequence

import cv2
import numpy as np

from detkit.registry import PIPELINES

from ._augment_utils import BBOX2LABEL, BBOX2MASK, find_inside_bboxes, require, set_img_shape

# OpenCV warps at most 512 channels at once; masks are warped in stacks of this many
_MASK_CHUNK = 256


def _warp_masks(masks, matrix: np.ndarray, height: int, width: int):
    """Warp BitmapMasks (nearest) or PolygonMasks (vertex-exact, clipped) by ``matrix`` (3, 3)."""
    from detkit.structures import BitmapMasks, PolygonMasks
    if isinstance(masks, BitmapMasks):
        arr = masks.masks
        if len(arr) == 0:
            return BitmapMasks(np.zeros((0, height, width), arr.dtype), height, width)
        work = arr.astype(np.uint8) if arr.dtype == bool else arr
        outs = []
        for start in range(0, len(work), _MASK_CHUNK):
            chunk = np.ascontiguousarray(work[start:start + _MASK_CHUNK].transpose(1, 2, 0))
            out = cv2.warpPerspective(chunk, matrix, dsize=(width, height),
                                      flags=cv2.INTER_NEAREST, borderValue=0)
            outs.append(out.reshape(height, width, -1).transpose(2, 0, 1))
        return BitmapMasks(np.concatenate(outs).astype(arr.dtype, copy=False), height, width)
    if isinstance(masks, PolygonMasks):
        def warp(poly: np.ndarray) -> np.ndarray:
            pts = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
            pts = np.concatenate([pts, np.ones((len(pts), 1))], 1) @ matrix.T
            pts = pts[:, :2] / pts[:, 2:3]
            pts[:, 0] = pts[:, 0].clip(0, width)
            pts[:, 1] = pts[:, 1].clip(0, height)
            return pts.reshape(-1).astype(np.asarray(poly).dtype)
        return PolygonMasks([[warp(p) for p in obj] for obj in masks.masks], height, width)
    raise TypeError(f'RandomAffine: masks must be BitmapMasks or PolygonMasks, got '
                    f'{type(masks).__name__}')


@PIPELINES.register_module()
class RandomAffine:
    """Warp the image by a random ``translate @ shear @ rotate @ scale`` matrix.

    Draws, in order: rotation ``uniform(-max_rotate_degree, max_rotate_degree)``; scale
    ``uniform(*scaling_ratio_range)``; shear x then y ``uniform(-max_shear_degree,
    max_shear_degree)``; translation ``uniform(-max_translate_ratio, max_translate_ratio)``
    times the output width, then height. Rotation and scaling are about the origin (0, 0).
    The output is ``(h + 2 * border[0], w + 2 * border[1])`` filled with ``border_val``.
    A box becomes the bounding box of its four warped corners, clipped when
    ``bbox_clip_border``; boxes entirely outside are removed and, unless ``skip_filter``,
    so are those failing ``min_bbox_size``, ``min_area_ratio`` (area after over area of
    the box scaled by the scale draw) or ``max_aspect_ratio``. Labels and instance masks
    of ``gt_bboxes`` / ``gt_bboxes_ignore`` follow (bitmaps warped with nearest
    interpolation, polygon vertices warped exactly; MMDetection 2.25 rejects masks here).

    Args:
        max_rotate_degree (float): Default 10.
        max_translate_ratio (float): in [0, 1]. Default 0.1.
        scaling_ratio_range (tuple[float]): (min, max), 0 < min <= max. Default (0.5, 1.5).
        max_shear_degree (float): Default 2.
        border (tuple[int]): (h, w) added on each side of the output; negative values
            shrink it (after Mosaic: ``(-img_scale[0] // 2, -img_scale[1] // 2)``).
        border_val (tuple[int]): fill of the 3 channels. Default (114, 114, 114).
        min_bbox_size (float): Default 2.
        min_area_ratio (float): Default 0.2.
        max_aspect_ratio (float): Default 20.
        bbox_clip_border (bool): Default True.
        skip_filter (bool): skip the three filters. Default True.

    Required keys: ``img``. Sets ``img``, ``img_shape``; updates ``bbox_fields``.
    """

    def __init__(self, max_rotate_degree: float = 10.0, max_translate_ratio: float = 0.1,
                 scaling_ratio_range: Sequence[float] = (0.5, 1.5),
                 max_shear_degree: float = 2.0, border: Sequence[int] = (0, 0),
                 border_val: Sequence[int] = (114, 114, 114), min_bbox_size: float = 2,
                 min_area_ratio: float = 0.2, max_aspect_ratio: float = 20,
                 bbox_clip_border: bool = True, skip_filter: bool = True):
        if not 0 <= max_translate_ratio <= 1:
            raise ValueError(f'RandomAffine: max_translate_ratio must be in [0, 1], but got '
                             f'{max_translate_ratio}')
        if not 0 < scaling_ratio_range[0] <= scaling_ratio_range[1]:
            raise ValueError(f'RandomAffine: scaling_ratio_range must be (min, max) with '
                             f'0 < min <= max, but got {scaling_ratio_range}')
        self.max_rotate_degree = max_rotate_degree
        self.max_translate_ratio = max_translate_ratio
        self.scaling_ratio_range = scaling_ratio_range
        self.max_shear_degree = max_shear_degree
        self.border = border
        self.border_val = border_val
        self.min_bbox_size = min_bbox_size
        self.min_area_ratio = min_area_ratio
        self.max_aspect_ratio = max_aspect_ratio
        self.bbox_clip_border = bbox_clip_border
        self.skip_filter = skip_filter

    def _random_matrix(self, height: int, width: int) -> tuple:
        """(warp (3, 3) float32, scaling ratio), drawing in MMDetection's order."""
        rad = math.radians(np.random.uniform(-self.max_rotate_degree, self.max_rotate_degree))
        rotation = np.array([[np.cos(rad), -np.sin(rad), 0.], [np.sin(rad), np.cos(rad), 0.],
                             [0., 0., 1.]], dtype=np.float32)
        scale = np.random.uniform(self.scaling_ratio_range[0], self.scaling_ratio_range[1])
        scaling = np.array([[scale, 0., 0.], [0., scale, 0.], [0., 0., 1.]], dtype=np.float32)
        x_rad = math.radians(np.random.uniform(-self.max_shear_degree, self.max_shear_degree))
        y_rad = math.radians(np.random.uniform(-self.max_shear_degree, self.max_shear_degree))
        shear = np.array([[1, np.tan(x_rad), 0.], [np.tan(y_rad), 1, 0.], [0., 0., 1.]],
                         dtype=np.float32)
        trans_x = np.random.uniform(-self.max_translate_ratio, self.max_translate_ratio) * width
        trans_y = np.random.uniform(-self.max_translate_ratio, self.max_translate_ratio) * height
        translation = np.array([[1, 0., trans_x], [0., 1, trans_y], [0., 0., 1.]],
                               dtype=np.float32)
        return translation @ shear @ rotation @ scaling, scale

    @staticmethod
    def _warp_boxes(bboxes: np.ndarray, matrix: np.ndarray) -> np.ndarray:
        """(N, 4) boxes -> (N, 4) bounding boxes of their warped corners."""
        n = len(bboxes)
        xs = bboxes[:, [0, 0, 2, 2]].reshape(n * 4)
        ys = bboxes[:, [1, 3, 3, 1]].reshape(n * 4)
        points = matrix @ np.vstack([xs, ys, np.ones_like(xs)])
        points = points[:2] / points[2]
        xs, ys = points[0].reshape(n, 4), points[1].reshape(n, 4)
        return np.vstack((xs.min(1), ys.min(1), xs.max(1), ys.max(1))).T.astype(bboxes.dtype)

    def __call__(self, results: dict) -> dict:
        require(results, 'img', type(self).__name__)
        img = results['img']
        height = img.shape[0] + self.border[0] * 2
        width = img.shape[1] + self.border[1] * 2
        matrix, scale = self._random_matrix(height, width)
        img = cv2.warpPerspective(img, matrix, dsize=(width, height),
                                  borderValue=self.border_val)
        results['img'] = img
        set_img_shape(results, img)

        for key in results.get('bbox_fields', []):
            bboxes = results[key]
            mask_key = BBOX2MASK.get(key)
            if mask_key in results:
                results[mask_key] = _warp_masks(results[mask_key], matrix, height, width)
            if not len(bboxes):
                continue
            warped = self._warp_boxes(bboxes, matrix)
            if self.bbox_clip_border:
                warped[:, [0, 2]] = warped[:, [0, 2]].clip(0, width)
                warped[:, [1, 3]] = warped[:, [1, 3]].clip(0, height)
            valid = find_inside_bboxes(warped, height, width)
            if not self.skip_filter:
                valid &= self.filter_gt_bboxes(bboxes * scale, warped)
            results[key] = warped[valid]
            label_key = BBOX2LABEL.get(key)
            if label_key in results:
                results[label_key] = results[label_key][valid]
            if mask_key in results:
                results[mask_key] = results[mask_key][np.nonzero(valid)[0]]
        return results

    def filter_gt_bboxes(self, origin_bboxes: np.ndarray, wrapped_bboxes: np.ndarray) -> np.ndarray:
        """(N,) bool: warped boxes that keep enough size, area and a sane aspect ratio."""
        origin_w = origin_bboxes[:, 2] - origin_bboxes[:, 0]
        origin_h = origin_bboxes[:, 3] - origin_bboxes[:, 1]
        wrapped_w = wrapped_bboxes[:, 2] - wrapped_bboxes[:, 0]
        wrapped_h = wrapped_bboxes[:, 3] - wrapped_bboxes[:, 1]
        aspect = np.maximum(wrapped_w / (wrapped_h + 1e-16), wrapped_h / (wrapped_w + 1e-16))
        wh_ok = (wrapped_w > self.min_bbox_size) & (wrapped_h > self.min_bbox_size)
        area_ok = wrapped_w * wrapped_h / (origin_w * origin_h + 1e-16) > self.min_area_ratio
        return wh_ok & area_ok & (aspect < self.max_aspect_ratio)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(max_rotate_degree={self.max_rotate_degree}, '
                f'max_translate_ratio={self.max_translate_ratio}, '
                f'scaling_ratio_range={self.scaling_ratio_range}, '
                f'max_shear_degree={self.max_shear_degree}, border={self.border}, '
                f'border_val={self.border_val}, min_bbox_size={self.min_bbox_size}, '
                f'min_area_ratio={self.min_area_ratio}, '
                f'max_aspect_ratio={self.max_aspect_ratio}, skip_filter={self.skip_filter})')
