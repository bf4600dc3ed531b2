"""Resize: rescale the image and everything aligned with it."""
from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np

from ...registry import PIPELINES
from ._image import imrescale, imresize
from ._utils import as_scale_list, check_choice, field_keys, require

Scale = tuple  # (long, short) edges with keep_ratio, else (w, h)


@PIPELINES.register_module()
class Resize:
    """Resize the image, boxes, masks and segmentation maps.

    The target scale comes from, in order: ``results['scale']`` (set by
    MultiScaleFlipAug), a float ``results['scale_factor']`` (MultiScaleFlipAug
    with ``scale_factor``: the scale is the image size times it), else
    ``img_scale``:

    - ``ratio_range`` given: one scale times a ratio drawn from the range;
    - ``multiscale_mode='range'``: long and short edges drawn between two scales;
    - ``multiscale_mode='value'``: one of the scales.

    With ``keep_ratio`` a scale (a, b) bounds the long edge by max(a, b) and the
    short edge by min(a, b); otherwise it is the exact (w, h).

    Added/updated keys: ``img``, ``img_shape``, ``pad_shape`` (= img_shape),
    ``scale``, ``scale_idx``, ``scale_factor`` (float32 [w_scale, h_scale,
    w_scale, h_scale]), ``keep_ratio``, boxes in ``bbox_fields`` (clipped to the
    image with ``bbox_clip_border``), masks in ``mask_fields``, maps in
    ``seg_fields`` (nearest).

    Args:
        img_scale (tuple | list[tuple], optional): scales (lists, as YAML/JSON
            configs give them, are accepted too).
        multiscale_mode (str): 'range' or 'value'.
        ratio_range (tuple[float], optional): (min_ratio, max_ratio).
        keep_ratio (bool): keep the aspect ratio.
        bbox_clip_border (bool): clip boxes to the image.
        backend (str): 'cv2' or 'pillow'.
        interpolation (str): image interpolation ('bilinear', 'nearest', ...).
        override (bool): ignore ``scale``/``scale_factor`` left by an earlier
            Resize, so that a pipeline can resize twice (DETR).
    """

    def __init__(self, img_scale: Union[Scale, Sequence[Scale], None] = None,
                 multiscale_mode: str = 'range', ratio_range: Optional[Sequence[float]] = None,
                 keep_ratio: bool = True, bbox_clip_border: bool = True, backend: str = 'cv2',
                 interpolation: str = 'bilinear', override: bool = False):
        if img_scale is None:
            self.img_scale = None
        else:
            self.img_scale = as_scale_list(img_scale, 'Resize')
        if ratio_range is not None:
            if self.img_scale is None or len(self.img_scale) != 1:
                raise ValueError(f'Resize: ratio_range needs exactly one img_scale, but got '
                                 f'img_scale={img_scale!r}')
            if ratio_range[0] > ratio_range[1]:
                raise ValueError(f'Resize: ratio_range must be (min, max), got {ratio_range}')
        else:
            check_choice('Resize', 'multiscale_mode', multiscale_mode, ('range', 'value'))
        if (self.img_scale is not None and ratio_range is None and multiscale_mode == 'range'
                and len(self.img_scale) not in (1, 2)):
            raise ValueError(f"Resize: multiscale_mode='range' needs 2 scales (the range "
                             f'bounds), but got {len(self.img_scale)}')
        check_choice('Resize', 'backend', backend, ('cv2', 'pillow'))
        self.multiscale_mode = multiscale_mode
        self.ratio_range = ratio_range
        self.keep_ratio = keep_ratio
        self.bbox_clip_border = bbox_clip_border
        self.backend = backend
        self.interpolation = interpolation
        self.override = override

    # -- scale sampling (np.random, seeded by the runner) ----------------------------------
    @staticmethod
    def random_select(img_scales: Sequence[Scale]) -> tuple[Scale, int]:
        """One of ``img_scales`` and its index."""
        scale_idx = np.random.randint(len(img_scales))
        return img_scales[scale_idx], scale_idx

    @staticmethod
    def random_sample(img_scales: Sequence[Scale]) -> tuple[Scale, None]:
        """(long, short) with each edge drawn uniformly (integers) between two scales."""
        if len(img_scales) != 2:
            raise ValueError(f'Resize.random_sample needs 2 scales, got {img_scales}')
        longs = [max(s) for s in img_scales]
        shorts = [min(s) for s in img_scales]
        long_edge = np.random.randint(min(longs), max(longs) + 1)
        short_edge = np.random.randint(min(shorts), max(shorts) + 1)
        return (long_edge, short_edge), None

    @staticmethod
    def random_sample_ratio(img_scale: Scale, ratio_range: Sequence[float]) -> tuple[Scale, None]:
        """``img_scale`` times a ratio drawn uniformly from ``ratio_range``."""
        min_ratio, max_ratio = ratio_range
        ratio = np.random.random_sample() * (max_ratio - min_ratio) + min_ratio
        return (int(img_scale[0] * ratio), int(img_scale[1] * ratio)), None

    def _random_scale(self, results: dict) -> None:
        if self.img_scale is None:
            raise KeyError("Resize has no img_scale and results has no 'scale' or "
                           "'scale_factor' (set img_scale, or use it inside MultiScaleFlipAug)")
        if self.ratio_range is not None:
            scale, scale_idx = self.random_sample_ratio(self.img_scale[0], self.ratio_range)
        elif len(self.img_scale) == 1:
            scale, scale_idx = self.img_scale[0], 0
        elif self.multiscale_mode == 'range':
            scale, scale_idx = self.random_sample(self.img_scale)
        else:
            scale, scale_idx = self.random_select(self.img_scale)
        results['scale'] = scale
        results['scale_idx'] = scale_idx

    # -- the parts ---------------------------------------------------------------------------
    def _resize_img(self, results: dict) -> None:
        for key in field_keys(results, 'img_fields', 'Resize', ['img']):
            require(results, key, 'Resize')
            img = results[key]
            if self.keep_ratio:
                out = imrescale(img, results['scale'], interpolation=self.interpolation,
                                backend=self.backend)
                # the real factors of the rounded size, not the requested one
                w_scale = out.shape[1] / img.shape[1]
                h_scale = out.shape[0] / img.shape[0]
            else:
                out, w_scale, h_scale = imresize(img, results['scale'], return_scale=True,
                                                 interpolation=self.interpolation,
                                                 backend=self.backend)
            results[key] = out
            results['img_shape'] = out.shape
            results['pad_shape'] = out.shape  # until a Pad
            results['scale_factor'] = np.array([w_scale, h_scale, w_scale, h_scale],
                                               dtype=np.float32)
            results['keep_ratio'] = self.keep_ratio

    def _resize_bboxes(self, results: dict) -> None:
        h, w = results['img_shape'][:2]
        for key in field_keys(results, 'bbox_fields', 'Resize'):
            bboxes = results[key] * results['scale_factor']
            if self.bbox_clip_border:
                bboxes[:, 0::2] = np.clip(bboxes[:, 0::2], 0, w)
                bboxes[:, 1::2] = np.clip(bboxes[:, 1::2], 0, h)
            results[key] = bboxes

    def _resize_masks(self, results: dict) -> None:
        for key in field_keys(results, 'mask_fields', 'Resize'):
            if results[key] is None:
                continue
            if self.keep_ratio:
                results[key] = results[key].rescale(results['scale'])
            else:
                results[key] = results[key].resize(results['img_shape'][:2])

    def _resize_seg(self, results: dict) -> None:
        for key in field_keys(results, 'seg_fields', 'Resize'):
            if self.keep_ratio:
                results[key] = imrescale(results[key], results['scale'],
                                         interpolation='nearest', backend=self.backend)
            else:
                results[key] = imresize(results[key], results['scale'],
                                        interpolation='nearest', backend=self.backend)

    def __call__(self, results: dict) -> dict:
        require(results, 'img', 'Resize')
        scale_factor = results.get('scale_factor')
        if 'scale' not in results:
            # a scalar factor comes from MultiScaleFlipAug(scale_factor=...); an array is
            # what an earlier Resize or loader left and is overwritten
            if isinstance(scale_factor, (float, int)) and not isinstance(scale_factor, bool):
                h, w = results['img'].shape[:2]
                results['scale'] = (int(w * scale_factor), int(h * scale_factor))
            else:
                self._random_scale(results)
        elif self.override:
            results.pop('scale')
            results.pop('scale_factor', None)
            self._random_scale(results)
        elif 'keep_ratio' in results:
            # 'scale' was left by an earlier Resize, not given by MultiScaleFlipAug
            raise KeyError("Resize: results already holds the 'scale' of an earlier Resize; "
                           'set override=True to resize again')
        self._resize_img(results)
        self._resize_bboxes(results)
        self._resize_masks(results)
        self._resize_seg(results)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(img_scale={self.img_scale}, '
                f'multiscale_mode={self.multiscale_mode}, ratio_range={self.ratio_range}, '
                f'keep_ratio={self.keep_ratio}, bbox_clip_border={self.bbox_clip_border})')
