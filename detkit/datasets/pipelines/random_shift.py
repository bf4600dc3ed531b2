"""RandomShift: shift the image and boxes by a random number of pixels."""
from __future__ import annotations

import numpy as np

from ...registry import PIPELINES
from ._utils import field_keys, require

# which label / mask key goes with which box key
_BBOX2LABEL = {'gt_bboxes': 'gt_labels', 'gt_bboxes_ignore': 'gt_labels_ignore'}
_BBOX2MASK = {'gt_bboxes': 'gt_masks', 'gt_bboxes_ignore': 'gt_masks_ignore'}


@PIPELINES.register_module()
class RandomShift:
    """With probability ``shift_ratio``, shift by (dx, dy) drawn from
    ``randint(-max_shift_px, max_shift_px)`` (upper bound excluded, as MMDetection).

    Boxes move, are clipped to the image, and those not wider and taller than
    ``filter_thr_px`` are dropped with their labels (and masks). If no
    ``gt_bboxes`` would remain, nothing is shifted. The canvas keeps its size;
    uncovered pixels are 0.

    Unlike MMDetection 2.25 (boxes only), masks in ``gt_masks``/``gt_masks_ignore``
    are shifted and filtered with their boxes so they stay aligned.
    """

    def __init__(self, shift_ratio: float = 0.5, max_shift_px: int = 32,
                 filter_thr_px: int = 1):
        if not 0 <= shift_ratio <= 1:
            raise ValueError(f'RandomShift: shift_ratio must be in [0, 1], got {shift_ratio}')
        if max_shift_px < 0:
            raise ValueError(f'RandomShift: max_shift_px must be >= 0, got {max_shift_px}')
        self.shift_ratio = shift_ratio
        self.max_shift_px = max_shift_px
        self.filter_thr_px = int(filter_thr_px)

    def __call__(self, results: dict) -> dict:
        if np.random.random() >= self.shift_ratio:
            return results
        require(results, 'img', 'RandomShift')
        img_h, img_w = results['img'].shape[:2]
        dx = np.random.randint(-self.max_shift_px, self.max_shift_px)
        dy = np.random.randint(-self.max_shift_px, self.max_shift_px)

        new_boxes, keeps = {}, {}
        for key in field_keys(results, 'bbox_fields', 'RandomShift'):
            bboxes = results[key].copy()
            bboxes[..., 0::2] = np.clip(bboxes[..., 0::2] + dx, 0, img_w)
            bboxes[..., 1::2] = np.clip(bboxes[..., 1::2] + dy, 0, img_h)
            keep = ((bboxes[..., 2] - bboxes[..., 0] > self.filter_thr_px)
                    & (bboxes[..., 3] - bboxes[..., 1] > self.filter_thr_px))
            if key == 'gt_bboxes' and not keep.any():
                return results  # nothing left to learn from: keep the unshifted sample
            new_boxes[key], keeps[key] = bboxes[keep], keep
        for key, bboxes in new_boxes.items():
            keep = keeps[key]
            results[key] = bboxes
            label_key = _BBOX2LABEL.get(key)
            if label_key in results:
                results[label_key] = results[label_key][keep]
            mask_key = _BBOX2MASK.get(key)
            if mask_key in results:
                masks = results[mask_key][np.flatnonzero(keep)]
                masks = masks.translate((img_h, img_w), dx, 'horizontal', interpolation='nearest')
                results[mask_key] = masks.translate((img_h, img_w), dy, 'vertical',
                                                    interpolation='nearest')

        new_x, orig_x = max(0, dx), max(0, -dx)
        new_y, orig_y = max(0, dy), max(0, -dy)
        new_h, new_w = img_h - abs(dy), img_w - abs(dx)
        for key in field_keys(results, 'img_fields', 'RandomShift', ['img']):
            img = results[key]
            out = np.zeros_like(img)
            out[new_y:new_y + new_h, new_x:new_x + new_w] = \
                img[orig_y:orig_y + new_h, orig_x:orig_x + new_w]
            results[key] = out
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(shift_ratio={self.shift_ratio}, '
                f'max_shift_px={self.max_shift_px}, filter_thr_px={self.filter_thr_px})')
