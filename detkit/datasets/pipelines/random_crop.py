"""RandomCrop: crop a random window of the image, boxes, masks and maps."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from ...registry import PIPELINES
from ._utils import check_choice, field_keys, require

_CROP_TYPES = ('relative_range', 'relative', 'absolute', 'absolute_range')
# which label / mask key goes with which box key
_BBOX2LABEL = {'gt_bboxes': 'gt_labels', 'gt_bboxes_ignore': 'gt_labels_ignore'}
_BBOX2MASK = {'gt_bboxes': 'gt_masks', 'gt_bboxes_ignore': 'gt_masks_ignore'}


@PIPELINES.register_module()
class RandomCrop:
    """Crop a window of a size set by ``crop_type``, at a uniformly drawn position.

    Crop sizes (h, w) for an (H, W) image:

    - 'absolute': (min(crop_size[0], H), min(crop_size[1], W));
    - 'absolute_range': h in [min(H, a), min(H, b)], w in [min(W, a), min(W, b)]
      with crop_size = (a, b);
    - 'relative': (int(H * crop_size[0] + 0.5), int(W * crop_size[1] + 0.5));
    - 'relative_range': the relative size drawn from [crop_size[i], 1].

    Boxes shift by the window offset, are clipped to the crop (with
    ``bbox_clip_border``), and boxes left without area are dropped with their
    labels and masks. Returns None (drop the sample) when no ``gt_bboxes``
    remain, unless ``allow_negative_crop``. Updated keys: ``img``,
    ``img_shape``, boxes, labels, masks, maps.

    Args:
        crop_size (tuple): (h, w) in pixels or relative.
        crop_type (str): one of the four types above.
        allow_negative_crop (bool): keep crops without any box.
        recompute_bbox (bool): set boxes to the tight boxes of the cropped masks.
        bbox_clip_border (bool): clip boxes to the crop.
    """

    def __init__(self, crop_size: Sequence[float], crop_type: str = 'absolute',
                 allow_negative_crop: bool = False, recompute_bbox: bool = False,
                 bbox_clip_border: bool = True):
        check_choice('RandomCrop', 'crop_type', crop_type, _CROP_TYPES)
        if len(crop_size) != 2:
            raise ValueError(f'RandomCrop: crop_size must be (h, w), got {crop_size}')
        if crop_type in ('absolute', 'absolute_range'):
            if not all(isinstance(s, int) and s > 0 for s in crop_size):
                raise ValueError(f"RandomCrop: crop_type={crop_type!r} needs positive int "
                                 f'crop_size, got {crop_size}')
            if crop_type == 'absolute_range' and crop_size[0] > crop_size[1]:
                raise ValueError(f"RandomCrop: crop_type='absolute_range' needs crop_size "
                                 f'(min, max), got {crop_size}')
        elif not all(0 < s <= 1 for s in crop_size):
            raise ValueError(f'RandomCrop: crop_type={crop_type!r} needs crop_size in (0, 1], '
                             f'got {crop_size}')
        self.crop_size = crop_size
        self.crop_type = crop_type
        self.allow_negative_crop = allow_negative_crop
        self.recompute_bbox = recompute_bbox
        self.bbox_clip_border = bbox_clip_border

    def _get_crop_size(self, image_size: Sequence[int]) -> tuple[int, int]:
        """(crop_h, crop_w) in pixels for an image of (h, w)."""
        h, w = image_size
        if self.crop_type == 'absolute':
            return min(self.crop_size[0], h), min(self.crop_size[1], w)
        if self.crop_type == 'absolute_range':
            crop_h = np.random.randint(min(h, self.crop_size[0]), min(h, self.crop_size[1]) + 1)
            crop_w = np.random.randint(min(w, self.crop_size[0]), min(w, self.crop_size[1]) + 1)
            return crop_h, crop_w
        if self.crop_type == 'relative':
            crop_h, crop_w = self.crop_size
        else:
            size = np.asarray(self.crop_size, dtype=np.float32)
            crop_h, crop_w = size + np.random.rand(2) * (1 - size)
        return int(h * crop_h + 0.5), int(w * crop_w + 0.5)

    def _crop_data(self, results: dict, crop_size: Sequence[int],
                   allow_negative_crop: bool) -> Optional[dict]:
        img_shape = None
        for key in field_keys(results, 'img_fields', 'RandomCrop', ['img']):
            img = results[key]
            margin_h = max(img.shape[0] - crop_size[0], 0)
            margin_w = max(img.shape[1] - crop_size[1], 0)
            offset_h = np.random.randint(0, margin_h + 1)
            offset_w = np.random.randint(0, margin_w + 1)
            y1, y2 = offset_h, offset_h + crop_size[0]
            x1, x2 = offset_w, offset_w + crop_size[1]
            img = img[y1:y2, x1:x2, ...]
            img_shape = img.shape
            results[key] = img
        results['img_shape'] = img_shape

        for key in field_keys(results, 'bbox_fields', 'RandomCrop'):
            offset = np.array([offset_w, offset_h, offset_w, offset_h], dtype=np.float32)
            bboxes = results[key] - offset
            if self.bbox_clip_border:
                bboxes[:, 0::2] = np.clip(bboxes[:, 0::2], 0, img_shape[1])
                bboxes[:, 1::2] = np.clip(bboxes[:, 1::2], 0, img_shape[0])
            valid = (bboxes[:, 2] > bboxes[:, 0]) & (bboxes[:, 3] > bboxes[:, 1])
            if key == 'gt_bboxes' and not valid.any() and not allow_negative_crop:
                return None
            results[key] = bboxes[valid, :]
            label_key = _BBOX2LABEL.get(key)
            if label_key in results:
                results[label_key] = results[label_key][valid]
            mask_key = _BBOX2MASK.get(key)
            if mask_key in results:
                results[mask_key] = results[mask_key][np.flatnonzero(valid)].crop(
                    np.asarray([x1, y1, x2, y2]))
                if self.recompute_bbox:
                    results[key] = results[mask_key].get_bboxes()

        for key in field_keys(results, 'seg_fields', 'RandomCrop'):
            results[key] = results[key][y1:y2, x1:x2]
        return results

    def __call__(self, results: dict) -> Optional[dict]:
        require(results, 'img', 'RandomCrop')
        crop_size = self._get_crop_size(results['img'].shape[:2])
        return self._crop_data(results, crop_size, self.allow_negative_crop)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'crop_type={self.crop_type}, allow_negative_crop={self.allow_negative_crop}, '
                f'bbox_clip_border={self.bbox_clip_border})')
