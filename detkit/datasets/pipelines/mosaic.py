"""Mosaic: YOLOX's four-image mosaic on a 2x canvas (used inside MultiImageMixDataset)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from detkit.registry import PIPELINES

from ._augment_utils import (
    BBOX2LABEL,
    BBOX2MASK,
    check_prob,
    concat_masks,
    find_inside_bboxes,
    require,
    set_img_shape,
)
from ._image import imresize

_LOCS = ('top_left', 'top_right', 'bottom_left', 'bottom_right')


@PIPELINES.register_module()
class Mosaic:
    """Combine the image and three others from ``results['mix_results']`` into one mosaic.

    .. code:: text

                        mosaic transform
                           center_x
                +------------------------------+
                |       pad        |  pad      |
                |      +-----------+           |
                |      |           |           |
                |      |  image1   |--------+  |
                |      |           |        |  |
                |      |           | image2 |  |
     center_y   |----+-------------+-----------|
                |    |   cropped   |           |
                |pad |   image3    |  image4   |
                |    |             |           |
                +----|-------------+-----------+
                     |             |
                     +-------------+

    The canvas is ``(2 * img_scale[0], 2 * img_scale[1])`` filled with ``pad_val``; its
    centre is ``(int(uniform(*center_ratio_range) * img_scale[1]),
    int(uniform(*center_ratio_range) * img_scale[0]))`` (x drawn first). Each image is
    resized keeping its ratio to fit ``img_scale`` and placed with its corner at the
    centre (top-left, top-right, bottom-left, bottom-right in that order), cropped where
    it leaves the canvas. Boxes are scaled and shifted alike, clipped when
    ``bbox_clip_border``, optionally filtered by size, and those entirely outside the
    canvas are removed. Other box fields (``gt_bboxes_ignore``) and the instance masks
    of each box field are moved the same way (MMDetection 2.25 moves only ``gt_bboxes``
    and ``gt_labels``, leaving masks and ignored boxes misaligned).

    Args:
        img_scale (tuple[int]): (h, w) of one image's slot. Default (640, 640).
        center_ratio_range (tuple[float]): range of the centre, in units of img_scale.
        min_bbox_size (int | float): boxes whose width or height is not larger are
            dropped, unless ``skip_filter``.
        bbox_clip_border (bool): whether to clip boxes to the canvas.
        skip_filter (bool): skip the ``min_bbox_size`` filter. Default True.
        pad_val (int | float): canvas fill value. Default 114.
        prob (float): probability of applying the mosaic. Default 1.0.

    Required keys: ``img``, ``gt_bboxes``, ``gt_labels`` and ``mix_results`` (3 result
    dicts with the same keys, see :meth:`get_indexes`). Sets ``img``, ``img_shape``,
    ``gt_bboxes``, ``gt_labels`` (and ``gt_masks``).
    """

    def __init__(self, img_scale: Sequence[int] = (640, 640),
                 center_ratio_range: Sequence[float] = (0.5, 1.5), min_bbox_size: float = 0,
                 bbox_clip_border: bool = True, skip_filter: bool = True, pad_val: float = 114,
                 prob: float = 1.0):
        if not isinstance(img_scale, tuple) or len(img_scale) != 2:
            raise TypeError(f'Mosaic: img_scale must be a tuple (h, w), but got {img_scale!r}')
        check_prob(prob, 'Mosaic')
        self.img_scale = img_scale
        self.center_ratio_range = center_ratio_range
        self.min_bbox_size = min_bbox_size
        self.bbox_clip_border = bbox_clip_border
        self.skip_filter = skip_filter
        self.pad_val = pad_val
        self.prob = prob

    def get_indexes(self, dataset) -> list:
        """Three random indexes into ``dataset`` (a MultiImageMixDataset's inner dataset)."""
        return [np.random.randint(0, len(dataset)) for _ in range(3)]

    def __call__(self, results: dict) -> dict:
        if np.random.uniform(0, 1) > self.prob:
            return results
        return self._mosaic_transform(results)

    def _check(self, results: dict) -> None:
        require(results, ['img', 'gt_bboxes', 'gt_labels', 'mix_results'], 'Mosaic')
        mix = results['mix_results']
        if not isinstance(mix, (list, tuple)) or len(mix) != 3:
            n = len(mix) if isinstance(mix, (list, tuple)) else type(mix).__name__
            raise ValueError(f'Mosaic needs 3 results in mix_results (from get_indexes), got {n}')
        for i, res in enumerate(mix):
            require(res, ['img', 'gt_bboxes', 'gt_labels'], f'Mosaic (mix_results[{i}])')

    def _mosaic_transform(self, results: dict) -> dict:
        self._check(results)
        scale_h, scale_w = self.img_scale
        canvas_h, canvas_w = int(scale_h * 2), int(scale_w * 2)
        img0 = results['img']
        shape = (canvas_h, canvas_w, 3) if img0.ndim == 3 else (canvas_h, canvas_w)
        mosaic_img = np.full(shape, self.pad_val, dtype=img0.dtype)
        center_x = int(np.random.uniform(*self.center_ratio_range) * scale_w)
        center_y = int(np.random.uniform(*self.center_ratio_range) * scale_h)
        patches = [results] + list(results['mix_results'])

        placements = []  # per sub-image: (scale ratio, paste coord, crop coord, resized (h, w))
        for loc, patch in zip(_LOCS, patches):
            img_i = patch['img']
            h_i, w_i = img_i.shape[:2]
            ratio = min(scale_h / h_i, scale_w / w_i)
            new_w, new_h = int(w_i * ratio), int(h_i * ratio)
            img_i = imresize(img_i, (new_w, new_h))
            paste, crop = self._mosaic_combine(loc, (center_x, center_y), (new_w, new_h))
            x1_p, y1_p, x2_p, y2_p = paste
            x1_c, y1_c, x2_c, y2_c = crop
            mosaic_img[y1_p:y2_p, x1_p:x2_p] = img_i[y1_c:y2_c, x1_c:x2_c]
            placements.append((ratio, paste, crop, (new_h, new_w)))

        results['img'] = mosaic_img
        set_img_shape(results, mosaic_img)
        # gt_bboxes first, then e.g. gt_bboxes_ignore, each with its labels and masks
        keys = ['gt_bboxes'] + [k for k in results.get('bbox_fields', []) if k != 'gt_bboxes']
        for key in keys:
            self._merge_field(results, patches, placements, key)
        return results

    def _merge_field(self, results: dict, patches: list, placements: list, key: str) -> None:
        """Move the boxes of ``key`` (with their labels and masks) of every sub-image onto
        the canvas and keep those inside it; a sub-image without ``key`` adds none."""
        canvas_h, canvas_w = results['img'].shape[:2]
        label_key, mask_key = BBOX2LABEL.get(key), BBOX2MASK.get(key)
        with_label = label_key in results
        with_mask = mask_key in results or any(mask_key in p for p in patches[1:])
        if with_mask and not all(mask_key in p for p in patches):
            raise KeyError(f'Mosaic: {mask_key!r} must be in all 4 results or in none; load '
                           f'every image with the same LoadAnnotations')
        bboxes, labels, masks = [], [], []
        for patch, (ratio, paste, crop, new_hw) in zip(patches, placements):
            boxes_i = np.array(patch.get(key, np.zeros((0, 4), np.float32)), copy=True)
            if boxes_i.shape[0] > 0:
                boxes_i[:, 0::2] = ratio * boxes_i[:, 0::2] + (paste[0] - crop[0])
                boxes_i[:, 1::2] = ratio * boxes_i[:, 1::2] + (paste[1] - crop[1])
            bboxes.append(boxes_i.reshape(-1, 4))
            if with_label:
                labels.append(np.asarray(patch.get(label_key, np.zeros((len(boxes_i),),
                                                                        np.int64))))
            if with_mask:
                masks.append(patch[mask_key].resize(new_hw).crop(np.array(crop))
                             .expand(canvas_h, canvas_w, paste[1], paste[0]))
        merged = np.concatenate(bboxes, 0)
        if self.bbox_clip_border:
            merged[:, 0::2] = np.clip(merged[:, 0::2], 0, canvas_w)
            merged[:, 1::2] = np.clip(merged[:, 1::2], 0, canvas_h)
        keep = find_inside_bboxes(merged, canvas_h, canvas_w)
        if not self.skip_filter and key == 'gt_bboxes':
            keep &= ((merged[:, 2] - merged[:, 0]) > self.min_bbox_size) & \
                    ((merged[:, 3] - merged[:, 1]) > self.min_bbox_size)
        results[key] = merged[keep]
        if with_label:
            results[label_key] = np.concatenate(labels, 0)[keep]
        if with_mask:
            results[mask_key] = concat_masks(masks, canvas_h, canvas_w)[np.nonzero(keep)[0]]

    def _mosaic_combine(self, loc: str, center_xy: Sequence[int],
                        img_wh: Sequence[int]) -> tuple:
        """Where sub-image ``loc`` goes on the canvas and which part of it is kept.

        Args:
            loc (str): one of 'top_left', 'top_right', 'bottom_left', 'bottom_right'.
            center_xy (tuple[int]): mosaic centre (x, y) on the canvas.
            img_wh (tuple[int]): (w, h) of the resized sub-image.

        Returns:
            (paste_coord, crop_coord): (x1, y1, x2, y2) on the canvas and in the sub-image,
            of equal size.
        """
        cx, cy = center_xy
        w, h = img_wh
        max_x, max_y = self.img_scale[1] * 2, self.img_scale[0] * 2
        if loc == 'top_left':
            x1, y1, x2, y2 = max(cx - w, 0), max(cy - h, 0), cx, cy
            crop = w - (x2 - x1), h - (y2 - y1), w, h
        elif loc == 'top_right':
            x1, y1, x2, y2 = cx, max(cy - h, 0), min(cx + w, max_x), cy
            crop = 0, h - (y2 - y1), min(w, x2 - x1), h
        elif loc == 'bottom_left':
            x1, y1, x2, y2 = max(cx - w, 0), cy, cx, min(max_y, cy + h)
            crop = w - (x2 - x1), 0, w, min(y2 - y1, h)
        elif loc == 'bottom_right':
            x1, y1, x2, y2 = cx, cy, min(cx + w, max_x), min(max_y, cy + h)
            crop = 0, 0, min(w, x2 - x1), min(y2 - y1, h)
        else:
            raise ValueError(f'Mosaic: loc must be one of {_LOCS}, got {loc!r}')
        return (x1, y1, x2, y2), crop

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(img_scale={self.img_scale}, '
                f'center_ratio_range={self.center_ratio_range}, pad_val={self.pad_val}, '
                f'min_bbox_size={self.min_bbox_size}, skip_filter={self.skip_filter}, '
                f'prob={self.prob})')
