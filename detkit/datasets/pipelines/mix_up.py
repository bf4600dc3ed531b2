"""MixUp: YOLOX's blend of the image with a rescaled, jittered, flipped second image."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from detkit.registry import PIPELINES

from ._augment_utils import concat_masks, find_inside_bboxes, require, set_img_shape
from ._image import imresize


@PIPELINES.register_module()
class MixUp:
    """Blend the image 50/50 with another one from ``results['mix_results']``.

    .. code:: text

                         mixup transform
                +------------------------------+
                | mixup image   |              |
                |      +--------|--------+     |
                |      |        |        |     |
                |---------------+        |     |
                |      |                 |     |
                |      |      image      |     |
                |      |                 |     |
                |      |                 |     |
                |      |-----------------+     |
                |             pad              |
                +------------------------------+

    Steps, with draws in this order: ``jit = uniform(*ratio_range)``; ``flip =
    uniform(0, 1) > flip_ratio`` (MMDetection's comparison: the image is flipped with
    probability ``1 - flip_ratio``). The other image is resized keeping its ratio to fit
    ``img_scale``, pasted at the top-left of an ``img_scale`` canvas of ``pad_val``, the
    canvas is scaled by ``jit`` and flipped; it is then padded with zeros to at least the
    image's size and cropped to the image's size at ``(randint(0, H' - h), randint(0,
    W' - w))`` (y drawn first, each only when there is room). The output is
    ``uint8(0.5 * img + 0.5 * crop)``; the other image's boxes follow the same steps and
    are appended (filtered by ``min_bbox_size``, ``min_area_ratio`` and
    ``max_aspect_ratio`` unless ``skip_filter``), boxes entirely outside are removed. If
    the other image has no boxes, the input is returned unchanged.

    Args:
        img_scale (tuple[int]): (h, w) canvas of the other image. Default (640, 640).
        ratio_range (tuple[float]): range of the scale jitter ``jit``.
        flip_ratio (float): see above. Default 0.5.
        pad_val (int): canvas fill. Default 114.
        max_iters (int): tries of :meth:`get_indexes` to find an image with boxes.
        min_bbox_size (float): minimum width and height of a kept box.
        min_area_ratio (float): minimum area after / before the crop of a kept box.
        max_aspect_ratio (float): maximum of w/h and h/w of a kept box.
        bbox_clip_border (bool): whether to clip boxes to the canvas / image.
        skip_filter (bool): skip the three filters above. Default True.

    Required keys: ``img`` (H, W, 3), ``gt_bboxes``, ``gt_labels``, ``mix_results`` (one
    result dict with ``img``, ``gt_bboxes``, ``gt_labels``). Instance masks (``gt_masks`` in
    both results) follow the same resize, paste, jitter, flip, pad and crop and are
    appended like the boxes (MMDetection 2.25 leaves them behind, misaligned).
    """

    def __init__(self, img_scale: Sequence[int] = (640, 640),
                 ratio_range: Sequence[float] = (0.5, 1.5), flip_ratio: float = 0.5,
                 pad_val: float = 114, max_iters: int = 15, min_bbox_size: float = 5,
                 min_area_ratio: float = 0.2, max_aspect_ratio: float = 20,
                 bbox_clip_border: bool = True, skip_filter: bool = True):
        if not isinstance(img_scale, tuple) or len(img_scale) != 2:
            raise TypeError(f'MixUp: img_scale must be a tuple (h, w), but got {img_scale!r}')
        self.dynamic_scale = img_scale
        self.ratio_range = ratio_range
        self.flip_ratio = flip_ratio
        self.pad_val = pad_val
        self.max_iters = max_iters
        self.min_bbox_size = min_bbox_size
        self.min_area_ratio = min_area_ratio
        self.max_aspect_ratio = max_aspect_ratio
        self.bbox_clip_border = bbox_clip_border
        self.skip_filter = skip_filter

    def get_indexes(self, dataset) -> int:
        """A random index of an image with boxes (``dataset.get_ann_info(i)['bboxes']``),
        trying at most ``max_iters`` times (the last try is returned regardless)."""
        index = 0
        for _ in range(self.max_iters):
            index = np.random.randint(0, len(dataset))
            if len(dataset.get_ann_info(index)['bboxes']) != 0:
                break
        return index

    def __call__(self, results: dict) -> dict:
        return self._mixup_transform(results)

    def _check(self, results: dict) -> dict:
        require(results, ['img', 'gt_bboxes', 'gt_labels', 'mix_results'], 'MixUp')
        mix = results['mix_results']
        if not isinstance(mix, (list, tuple)) or len(mix) != 1:
            n = len(mix) if isinstance(mix, (list, tuple)) else type(mix).__name__
            raise ValueError(f'MixUp mixes 2 images: mix_results must hold 1 result, got {n}')
        require(mix[0], ['img', 'gt_bboxes', 'gt_labels'], 'MixUp (mix_results[0])')
        if ('gt_masks' in results) != ('gt_masks' in mix[0]):
            raise KeyError('MixUp: gt_masks must be in both results and mix_results[0] or in '
                           'neither; load both images with the same LoadAnnotations')
        return mix[0]

    def _mixup_transform(self, results: dict) -> dict:
        retrieve = self._check(results)
        if retrieve['gt_bboxes'].shape[0] == 0:
            return results
        retrieve_img = retrieve['img']
        jit_factor = np.random.uniform(*self.ratio_range)
        is_flip = np.random.uniform(0, 1) > self.flip_ratio
        dyn_h, dyn_w = self.dynamic_scale
        shape = (dyn_h, dyn_w, 3) if retrieve_img.ndim == 3 else (dyn_h, dyn_w)
        out_img = np.ones(shape, dtype=retrieve_img.dtype) * self.pad_val

        # 1. resize keeping the ratio, 2. paste top-left
        scale_ratio = min(dyn_h / retrieve_img.shape[0], dyn_w / retrieve_img.shape[1])
        retrieve_img = imresize(retrieve_img, (int(retrieve_img.shape[1] * scale_ratio),
                                               int(retrieve_img.shape[0] * scale_ratio)))
        resized_hw = retrieve_img.shape[:2]
        out_img[:retrieve_img.shape[0], :retrieve_img.shape[1]] = retrieve_img
        # 3. scale jitter, 4. flip
        scale_ratio *= jit_factor
        out_img = imresize(out_img, (int(out_img.shape[1] * jit_factor),
                                     int(out_img.shape[0] * jit_factor)))
        if is_flip:
            out_img = out_img[:, ::-1, :]
        # 5. pad with zeros to at least the image's size, random crop to it
        ori_img = results['img']
        origin_h, origin_w = out_img.shape[:2]
        target_h, target_w = ori_img.shape[:2]
        padded = np.zeros((max(origin_h, target_h), max(origin_w, target_w), 3), np.uint8)
        padded[:origin_h, :origin_w] = out_img
        x_offset, y_offset = 0, 0
        if padded.shape[0] > target_h:
            y_offset = np.random.randint(0, padded.shape[0] - target_h)
        if padded.shape[1] > target_w:
            x_offset = np.random.randint(0, padded.shape[1] - target_w)
        cropped = padded[y_offset:y_offset + target_h, x_offset:x_offset + target_w]

        # 6. the boxes follow: scale, clip to the jittered canvas, flip
        boxes = np.array(retrieve['gt_bboxes'], copy=True)
        boxes[:, 0::2] = boxes[:, 0::2] * scale_ratio
        boxes[:, 1::2] = boxes[:, 1::2] * scale_ratio
        if self.bbox_clip_border:
            boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, origin_w)
            boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, origin_h)
        if is_flip:
            boxes[:, 0::2] = origin_w - boxes[:, 0::2][:, ::-1]
        # 7. shift by the crop
        cp_boxes = boxes.copy()
        cp_boxes[:, 0::2] -= x_offset
        cp_boxes[:, 1::2] -= y_offset
        if self.bbox_clip_border:
            cp_boxes[:, 0::2] = np.clip(cp_boxes[:, 0::2], 0, target_w)
            cp_boxes[:, 1::2] = np.clip(cp_boxes[:, 1::2], 0, target_h)

        # 8. blend
        mixup_img = 0.5 * ori_img.astype(np.float32) + 0.5 * cropped.astype(np.float32)
        labels = retrieve['gt_labels']
        if not self.skip_filter:
            keep = self._filter_box_candidates(boxes.T, cp_boxes.T)
            labels = labels[keep]
            cp_boxes = cp_boxes[keep]
        mixup_boxes = np.concatenate((results['gt_bboxes'], cp_boxes), axis=0)
        mixup_labels = np.concatenate((results['gt_labels'], labels), axis=0)
        inside = find_inside_bboxes(mixup_boxes, target_h, target_w)
        if 'gt_masks' in results:
            masks = retrieve['gt_masks'].resize(resized_hw).pad((dyn_h, dyn_w))
            masks = masks.resize((origin_h, origin_w))
            if is_flip:
                masks = masks.flip('horizontal')
            masks = masks.pad(padded.shape[:2]).crop(
                np.array([x_offset, y_offset, x_offset + target_w, y_offset + target_h]))
            if not self.skip_filter:
                masks = masks[np.nonzero(keep)[0]]
            mixed = concat_masks([results['gt_masks'], masks], target_h, target_w)
            results['gt_masks'] = mixed[np.nonzero(inside)[0]]
        results['img'] = mixup_img.astype(np.uint8)
        set_img_shape(results, results['img'])
        results['gt_bboxes'] = mixup_boxes[inside]
        results['gt_labels'] = mixup_labels[inside]
        return results

    def _filter_box_candidates(self, bbox1: np.ndarray, bbox2: np.ndarray) -> np.ndarray:
        """(N,) bool keep flags; ``bbox1`` (4, N) before the crop, ``bbox2`` (4, N) after."""
        w1, h1 = bbox1[2] - bbox1[0], bbox1[3] - bbox1[1]
        w2, h2 = bbox2[2] - bbox2[0], bbox2[3] - bbox2[1]
        ar = np.maximum(w2 / (h2 + 1e-16), h2 / (w2 + 1e-16))
        return ((w2 > self.min_bbox_size) & (h2 > self.min_bbox_size)
                & (w2 * h2 / (w1 * h1 + 1e-16) > self.min_area_ratio)
                & (ar < self.max_aspect_ratio))

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(dynamic_scale={self.dynamic_scale}, '
                f'ratio_range={self.ratio_range}, flip_ratio={self.flip_ratio}, '
                f'pad_val={self.pad_val}, max_iters={self.max_iters}, '
                f'min_bbox_size={self.min_bbox_size}, min_area_ratio={self.min_area_ratio}, '
                f'max_aspect_ratio={self.max_aspect_ratio}, skip_filter={self.skip_filter})')
