"""MinIoURandomCrop: SSD's random crop whose IoU with every box exceeds a drawn threshold."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from detkit.registry import PIPELINES

from ._augment_utils import (BBOX2LABEL, BBOX2MASK, bbox_iou, check_single_img_field, require,
                             set_img_shape)


def _centers_in_patch(boxes: np.ndarray, patch: np.ndarray) -> np.ndarray:
    """(N,) bool: box centres strictly inside ``patch`` (x1, y1, x2, y2)."""
    center = (boxes[:, :2] + boxes[:, 2:]) / 2
    return ((center[:, 0] > patch[0]) & (center[:, 1] > patch[1])
            & (center[:, 0] < patch[2]) & (center[:, 1] < patch[3]))


@PIPELINES.register_module()
class MinIoURandomCrop:
    """Random crop whose IoU with every ground-truth box is at least a drawn ``min_iou``.

    A mode is drawn from ``(1, *min_ious, 0)``: 1 returns the input unchanged; otherwise
    up to 50 patches are tried (``new_w = uniform(min_crop_size * w, w)``, then ``new_h``,
    aspect ``new_h / new_w`` in [0.5, 2], ``left = uniform(w - new_w)``, ``top``), a patch
    being accepted when its IoU with all boxes is >= the mode and at least one box centre
    lies inside it. Boxes whose centre is outside are dropped (with labels and masks), the
    rest are clipped (``bbox_clip_border``) and shifted; after 50 failures a new mode is
    drawn.

    Args:
        min_ious (tuple[float]): candidate IoU thresholds.
        min_crop_size (float): minimum crop side as a fraction of the image side.
        bbox_clip_border (bool): whether to clip boxes to the crop.

    Required keys: ``img`` (H, W, C), ``bbox_fields``. Updates ``img_shape`` (and
    ``pad_shape`` when present).
    """

    def __init__(self, min_ious: Sequence[float] = (0.1, 0.3, 0.5, 0.7, 0.9),
                 min_crop_size: float = 0.3, bbox_clip_border: bool = True):
        self.min_ious = min_ious
        self.sample_mode = (1, *min_ious, 0)
        self.min_crop_size = min_crop_size
        self.bbox_clip_border = bbox_clip_border

    def _apply(self, results: dict, patch: np.ndarray, boxes: np.ndarray) -> dict:
        # boxes are only adjusted when there are any (an empty image is cropped all the same)
        if len(boxes) > 0:
            for key in results.get('bbox_fields', []):
                field = results[key].copy()
                keep = _centers_in_patch(field, patch)
                field = field[keep]
                if self.bbox_clip_border:
                    field[:, 2:] = field[:, 2:].clip(max=patch[2:])
                    field[:, :2] = field[:, :2].clip(min=patch[:2])
                field -= np.tile(patch[:2], 2).astype(field.dtype)
                results[key] = field
                label_key = BBOX2LABEL.get(key)
                if label_key in results:
                    results[label_key] = results[label_key][keep]
                mask_key = BBOX2MASK.get(key)
                if mask_key in results:
                    results[mask_key] = results[mask_key][keep.nonzero()[0]].crop(patch)
        img = results['img'][patch[1]:patch[3], patch[0]:patch[2]]
        results['img'] = img
        set_img_shape(results, img)
        for key in results.get('seg_fields', []):
            results[key] = results[key][patch[1]:patch[3], patch[0]:patch[2]]
        return results

    def __call__(self, results: dict) -> dict:
        name = type(self).__name__
        require(results, ['img', 'bbox_fields'], name)
        check_single_img_field(results, name)
        require(results, results['bbox_fields'], name)
        h, w = results['img'].shape[:2]
        fields = [results[key] for key in results['bbox_fields']]
        boxes = np.concatenate(fields, 0).reshape(-1, 4) if fields else np.zeros((0, 4))
        while True:
            mode = np.random.choice(self.sample_mode)
            self.mode = mode
            if mode == 1:
                return results
            min_iou = mode
            for _ in range(50):
                new_w = np.random.uniform(self.min_crop_size * w, w)
                new_h = np.random.uniform(self.min_crop_size * h, h)
                if new_h / new_w < 0.5 or new_h / new_w > 2:
                    continue
                left = np.random.uniform(w - new_w)
                top = np.random.uniform(h - new_h)
                patch = np.array((int(left), int(top), int(left + new_w), int(top + new_h)))
                if patch[2] == patch[0] or patch[3] == patch[1]:
                    continue  # a line or a point is no crop
                overlaps = bbox_iou(patch.reshape(-1, 4), boxes).reshape(-1)
                if len(overlaps) > 0 and overlaps.min() < min_iou:
                    continue
                if len(overlaps) > 0 and not _centers_in_patch(boxes, patch).any():
                    continue
                return self._apply(results, patch, boxes)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(min_ious={self.min_ious}, '
                f'min_crop_size={self.min_crop_size}, bbox_clip_border={self.bbox_clip_border})')
