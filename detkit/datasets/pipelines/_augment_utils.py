"""Private helpers shared by the augmentation transforms (AutoAugment family, mixes, crops).

The colour operations here reproduce the mmcv 1.x functions MMDetection 2.25's
AutoAugment transforms call (``adjust_color``, ``adjust_brightness``, ``adjust_contrast``,
``imequalize``) so that a seeded pipeline gives the same pixels; geometric image operations
(``imshear``, ``imrotate``, ``imtranslate``, ``imresize``) live in ``_image.py``.

Images are ``(H, W, C)`` or ``(H, W)`` numpy arrays in BGR order; boxes are ``(N, 4)``
float arrays ``(x1, y1, x2, y2)`` in absolute pixels.
"""
from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from ._utils import require  # noqa: F401  (re-exported: one message format for all)

#: Levels of the AutoAugment transforms run from 0 to this value.
MAX_LEVEL = 10

#: Which label / mask key goes with which box key (MMDetection 2.x's pairing).
BBOX2LABEL = {'gt_bboxes': 'gt_labels', 'gt_bboxes_ignore': 'gt_labels_ignore'}
BBOX2MASK = {'gt_bboxes': 'gt_masks', 'gt_bboxes_ignore': 'gt_masks_ignore'}


# -- results-dict checks ------------------------------------------------------------------
def check_single_img_field(results: dict, owner: str) -> None:
    """The transforms that build a new canvas handle one image only (as in MMDetection)."""
    fields = results.get('img_fields', ['img'])
    if list(fields) != ['img']:
        raise ValueError(f"{owner} handles only img_fields == ['img'], but got {fields}")


# -- AutoAugment level mapping --------------------------------------------------------------
def check_level(level: Any, owner: str) -> None:
    if not isinstance(level, (int, float)) or isinstance(level, bool):
        raise TypeError(f'{owner}: level must be an int or float, but got {type(level).__name__}')
    if not 0 <= level <= MAX_LEVEL:
        raise ValueError(f'{owner}: level must be in [0, {MAX_LEVEL}], but got {level}')


def check_prob(prob: Any, owner: str, name: str = 'prob') -> None:
    if not isinstance(prob, (int, float)) or not 0 <= prob <= 1:
        raise ValueError(f'{owner}: {name} must be a number in [0, 1], but got {prob!r}')


def level_to_value(level: float, max_value: float) -> float:
    """Linear map of ``level`` in [0, MAX_LEVEL] onto [0, max_value]."""
    return (level / MAX_LEVEL) * max_value


def enhance_level_to_value(level: float, a: float = 1.8, b: float = 0.1) -> float:
    """Map a level onto an enhancement factor in [0.1, 1.9] (1.0 = unchanged at level 5)."""
    return (level / MAX_LEVEL) * a + b


def random_negative(value: float, random_negative_prob: float) -> float:
    """Negate ``value`` with probability ``random_negative_prob`` (one ``np.random.rand`` draw)."""
    return -value if np.random.rand() < random_negative_prob else value


def fill_value3(img_fill_val: Any, owner: str) -> tuple:
    """``img_fill_val`` as a 3-tuple of floats in [0, 255]."""
    if isinstance(img_fill_val, (int, float)) and not isinstance(img_fill_val, bool):
        vals = tuple([float(img_fill_val)] * 3)
    elif isinstance(img_fill_val, (tuple, list)) and len(img_fill_val) == 3:
        vals = tuple(float(v) for v in img_fill_val)
    else:
        raise ValueError(f'{owner}: img_fill_val must be a number or a tuple of 3 numbers, '
                         f'but got {img_fill_val!r}')
    if not all(0 <= v <= 255 for v in vals):
        raise ValueError(f'{owner}: img_fill_val must lie in [0, 255], but got {vals}')
    return vals


def filter_small_boxes(results: dict, min_size: float = 0) -> None:
    """Drop boxes with width or height <= ``min_size``, with their labels and masks."""
    for key in results.get('bbox_fields', []):
        boxes = results[key]
        keep = np.nonzero(((boxes[:, 2] - boxes[:, 0]) > min_size)
                          & ((boxes[:, 3] - boxes[:, 1]) > min_size))[0]
        results[key] = boxes[keep]
        label_key = BBOX2LABEL.get(key)
        if label_key in results:
            results[label_key] = results[label_key][keep]
        mask_key = BBOX2MASK.get(key)
        if mask_key in results:
            results[mask_key] = results[mask_key][keep]


def find_inside_bboxes(bboxes: np.ndarray, img_h: float, img_w: float) -> np.ndarray:
    """(N,) bool: boxes that overlap the image ``[0, img_w] x [0, img_h]`` at all."""
    return ((bboxes[:, 0] < img_w) & (bboxes[:, 2] > 0)
            & (bboxes[:, 1] < img_h) & (bboxes[:, 3] > 0))


def bbox_iou(bboxes1: np.ndarray, bboxes2: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """(N, M) IoU of ``bboxes1`` (N, 4) against ``bboxes2`` (M, 4), areas as (x2-x1)*(y2-y1)."""
    b1 = bboxes1.astype(np.float32)
    b2 = bboxes2.astype(np.float32)
    area1 = (b1[:, 2] - b1[:, 0]) * (b1[:, 3] - b1[:, 1])
    area2 = (b2[:, 2] - b2[:, 0]) * (b2[:, 3] - b2[:, 1])
    lt = np.maximum(b1[:, None, :2], b2[None, :, :2])
    rb = np.minimum(b1[:, None, 2:], b2[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    union = np.maximum(area1[:, None] + area2[None, :] - inter, eps)
    return inter / union


# -- image operations (mmcv 1.x semantics) -------------------------------------------------
def bgr2gray(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)


def adjust_color(img: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Blend ``img`` with its grey version: ``alpha * img + (1 - alpha) * gray``."""
    gray = np.tile(bgr2gray(img)[..., None], [1, 1, 3])
    out = cv2.addWeighted(img, alpha, gray, 1 - alpha, 0)
    if out.dtype != np.uint8:
        # cv2 saturates only uint8 results; float images are clipped explicitly
        out = np.clip(out, 0, 255)
    return out.astype(img.dtype)


def adjust_brightness(img: np.ndarray, factor: float = 1.0) -> np.ndarray:
    """Blend with a black image: ``factor * img``, clipped to [0, 255]."""
    out = cv2.addWeighted(img.astype(np.float32), factor,
                          np.zeros_like(img, dtype=np.float32), 1 - factor, 0)
    return np.clip(out, 0, 255).astype(img.dtype)


def adjust_contrast(img: np.ndarray, factor: float = 1.0) -> np.ndarray:
    """Blend with a flat image at the rounded mean grey level (PIL's ImageEnhance.Contrast)."""
    gray = bgr2gray(img)
    hist = np.histogram(gray, 256, (0, 255))[0]
    mean = round(np.sum(gray) / np.sum(hist))
    degenerated = np.full(img.shape, mean, dtype=np.float32)
    out = cv2.addWeighted(img.astype(np.float32), factor, degenerated, 1 - factor, 0)
    return np.clip(out, 0, 255).astype(img.dtype)


def _equalize_channel(channel: np.ndarray) -> np.ndarray:
    hist = np.histogram(channel, 256, (0, 255))[0]
    nonzero = hist[hist > 0]
    # PIL's ImageOps.equalize: the last occupied bin does not count towards the step
    step = (np.sum(nonzero) - nonzero[-1]) // 255
    if not step:
        return channel
    lut = (np.cumsum(hist) + (step // 2)) // step
    lut = np.concatenate([[0], lut[:-1]], 0)
    lut[lut > 255] = 255
    return lut[channel.astype(np.int64)]


def imequalize(img: np.ndarray) -> np.ndarray:
    """Histogram-equalise each of the 3 channels of ``img`` separately."""
    out = np.stack([_equalize_channel(img[:, :, c]) for c in range(3)], axis=-1)
    return out.astype(img.dtype)


# -- masks ----------------------------------------------------------------------------------
def concat_masks(masks: list, height: int, width: int):
    """Join BitmapMasks (all of one canvas size) or PolygonMasks into one object.

    Args:
        masks (list[BitmapMasks] | list[PolygonMasks]): of one kind, on a (height, width)
            canvas.
    """
    from detkit.structures import BitmapMasks, PolygonMasks
    if all(isinstance(m, BitmapMasks) for m in masks):
        arrays = [m.masks for m in masks if len(m)]
        if not arrays:
            dtype = masks[0].masks.dtype if masks else np.uint8
            return BitmapMasks(np.zeros((0, height, width), dtype), height, width)
        return BitmapMasks(np.concatenate(arrays, 0), height, width)
    if all(isinstance(m, PolygonMasks) for m in masks):
        return PolygonMasks([poly for m in masks for poly in m.masks], height, width)
    kinds = sorted({type(m).__name__ for m in masks})
    raise TypeError(f'cannot join masks of different kinds {kinds}; convert them to one kind '
                    f'(e.g. LoadAnnotations(poly2mask=True)) first')


def set_img_shape(results: dict, img: np.ndarray) -> None:
    """Record a new canvas: ``img_shape``, and ``pad_shape`` when a loader already set it."""
    results['img_shape'] = img.shape
    if 'pad_shape' in results:
        results['pad_shape'] = img.shape


class EnhanceTransform:
    """The shared body of Brightness/Color/ContrastTransform: with probability
    ``prob``, ``adjust(img, factor)`` on every image in ``img_fields`` (dtype kept),
    ``factor = enhance_level_to_value(level)``. Subclasses set ``adjust``.
    """

    adjust: Any  # staticmethod (img, factor) -> img

    def __init__(self, level: float, prob: float = 0.5):
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
            results[key] = self.adjust(img, self.factor).astype(img.dtype)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(level={self.level}, prob={self.prob})'
