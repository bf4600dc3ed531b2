"""RandomCenterCropPad: CornerNet / CenterNet's random-centre crop with around-padding."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from detkit.registry import PIPELINES

from ._augment_utils import BBOX2LABEL, BBOX2MASK, require

_TEST_PAD_MODES = ('logical_or', 'size_divisor')


@PIPELINES.register_module()
class RandomCenterCropPad:
    """Crop around a random centre into a canvas of ``ratio * crop_size`` filled with ``mean``.

    Train mode: draw ``ratio`` from ``ratios`` (canvas ``int(crop_size * ratio)``), then
    up to 50 centres ``randint(border', size - border')`` per axis (``border'`` shrinks
    ``border`` by a power of two until it fits the image) until at least one box centre
    falls in the cropped area (any crop is fine for an image without boxes). The cropped
    area is pasted with its chosen centre at the canvas centre; boxes whose centre is
    outside it are dropped, the rest are shifted, clipped (``bbox_clip_border``) and the
    empty ones dropped with their labels.

    Test mode: no randomness; the whole image is pasted centred on a canvas whose size is
    ``size | test_pad_mode[1]`` (+ ``test_pad_add_pix``) or the next multiple of
    ``test_pad_mode[1]``; ``results['border']`` = [top, bottom, left, right] of the image
    inside the canvas.

    Args:
        crop_size (tuple[int] | None): (h, w) in train mode; None in test mode.
        ratios (tuple[float] | None): candidate canvas ratios (train mode only).
        border (int | None): margin of the centre range (train mode only).
        mean, std (sequence): per-channel mean / std, as in Normalize; the canvas is
            filled with ``mean`` (reversed when ``to_rgb``).
        to_rgb (bool): whether mean and std are given in RGB order.
        test_mode (bool): see above.
        test_pad_mode (tuple | None): ('logical_or', 127) or ('size_divisor', d).
        test_pad_add_pix (int): extra padding in test mode.
        bbox_clip_border (bool): whether to clip boxes to the canvas.

    Required keys: ``img`` (H, W, C) float32 (load with ``to_float32=True``), and
    ``gt_bboxes`` in train mode. Instance masks of ``gt_bboxes`` / ``gt_bboxes_ignore``
    are cropped and placed like the image (MMDetection raises for them); semantic maps
    are not supported and raise a ``ValueError``.
    """

    def __init__(self, crop_size: Optional[Sequence[int]] = None,
                 ratios: Optional[Sequence[float]] = (0.9, 1.0, 1.1), border: Optional[int] = 128,
                 mean: Optional[Sequence[float]] = None, std: Optional[Sequence[float]] = None,
                 to_rgb: Optional[bool] = None, test_mode: bool = False,
                 test_pad_mode: Optional[Sequence] = ('logical_or', 127),
                 test_pad_add_pix: int = 0, bbox_clip_border: bool = True):
        name = type(self).__name__
        if test_mode:
            if crop_size is not None or ratios is not None or border is not None:
                raise ValueError(f'{name}: crop_size, ratios and border must be None in test '
                                 f'mode, but got {crop_size}, {ratios}, {border}')
            if not isinstance(test_pad_mode, (list, tuple)) or \
                    test_pad_mode[0] not in _TEST_PAD_MODES:
                raise ValueError(f'{name}: test_pad_mode must be (mode, value) with mode in '
                                 f'{_TEST_PAD_MODES}, but got {test_pad_mode!r}')
        else:
            if not isinstance(crop_size, (list, tuple)) or not (
                    crop_size[0] > 0 and crop_size[1] > 0):
                raise ValueError(f'{name}: crop_size must be (h, w) > 0 in train mode, but got '
                                 f'{crop_size!r}')
            if not isinstance(ratios, (list, tuple)):
                raise ValueError(f'{name}: ratios must be a tuple in train mode, got {ratios!r}')
            if test_pad_mode is not None:
                raise ValueError(f'{name}: test_pad_mode must be None in train mode, but got '
                                 f'{test_pad_mode!r}')
        # no defaults on purpose: they must equal Normalize's, which a default would hide
        if mean is None or std is None or to_rgb is None:
            raise ValueError(f'{name}: mean, std and to_rgb must be given (use the values of '
                             f'Normalize), but got mean={mean}, std={std}, to_rgb={to_rgb}')
        self.crop_size = crop_size
        self.ratios = ratios
        self.border = border
        self.to_rgb = to_rgb
        self.input_mean = mean
        self.input_std = std
        self.mean = mean[::-1] if to_rgb else mean
        self.std = std[::-1] if to_rgb else std
        self.test_mode = test_mode
        self.test_pad_mode = test_pad_mode
        self.test_pad_add_pix = test_pad_add_pix
        self.bbox_clip_border = bbox_clip_border

    @staticmethod
    def _get_border(border: int, size: int) -> int:
        """Halve ``border`` (by powers of two) until the centre range is not empty."""
        k = 2 * border / size
        i = pow(2, np.ceil(np.log2(np.ceil(k))) + (k == int(k)))
        return border // i

    @staticmethod
    def _filter_boxes(patch: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        center = (boxes[:, :2] + boxes[:, 2:]) / 2
        return ((center[:, 0] > patch[0]) & (center[:, 1] > patch[1])
                & (center[:, 0] < patch[2]) & (center[:, 1] < patch[3]))

    def _crop_image_and_paste(self, image: np.ndarray, center: Sequence[int],
                              size: Sequence[int]) -> tuple:
        """Paste the part of ``image`` around ``center`` (y, x) at the middle of a canvas.

        Returns:
            (canvas (h, w, C), border float32 [top, bottom, left, right] of the pasted
            area in the canvas, patch int [x0, y0, x1, y1] of the pasted area in ``image``).
        """
        center_y, center_x = center
        target_h, target_w = size
        img_h, img_w, img_c = image.shape
        x0 = max(0, center_x - target_w // 2)
        x1 = min(center_x + target_w // 2, img_w)
        y0 = max(0, center_y - target_h // 2)
        y1 = min(center_y + target_h // 2, img_h)
        patch = np.array((int(x0), int(y0), int(x1), int(y1)))
        left, right = center_x - x0, x1 - center_x
        top, bottom = center_y - y0, y1 - center_y
        cy, cx = target_h // 2, target_w // 2
        canvas = np.zeros((target_h, target_w, img_c), dtype=image.dtype)
        canvas += np.asarray(self.mean, dtype=image.dtype)
        canvas[cy - top:cy + bottom, cx - left:cx + right, :] = image[y0:y1, x0:x1, :]
        border = np.array([cy - top, cy + bottom, cx - left, cx + right], dtype=np.float32)
        return canvas, border, patch

    def _train_aug(self, results: dict) -> dict:
        name = type(self).__name__
        require(results, 'gt_bboxes', name)
        if results.get('seg_fields'):
            raise ValueError(f'{name} does not support semantic maps (seg_fields '
                             f'{results["seg_fields"]}), as in MMDetection')
        img = results['img']
        h, w = img.shape[:2]
        boxes = results['gt_bboxes']
        while True:
            scale = np.random.choice(self.ratios)
            new_h = int(self.crop_size[0] * scale)
            new_w = int(self.crop_size[1] * scale)
            h_border = self._get_border(self.border, h)
            w_border = self._get_border(self.border, w)
            for _ in range(50):
                center_x = np.random.randint(low=w_border, high=w - w_border)
                center_y = np.random.randint(low=h_border, high=h - h_border)
                canvas, _, patch = self._crop_image_and_paste(
                    img, [center_y, center_x], [new_h, new_w])
                if not self._filter_boxes(patch, boxes).any() and len(boxes) > 0:
                    continue
                results['img'] = canvas
                results['img_shape'] = canvas.shape
                results['pad_shape'] = canvas.shape
                # image point (x, y) lands at (x - center_x + new_w // 2, ...) in the canvas
                shift_x = new_w // 2 - center_x
                shift_y = new_h // 2 - center_y
                for key in results.get('bbox_fields', []):
                    inside = self._filter_boxes(patch, results[key])
                    field = results[key][inside]
                    field[:, 0:4:2] += shift_x
                    field[:, 1:4:2] += shift_y
                    if self.bbox_clip_border:
                        field[:, 0:4:2] = np.clip(field[:, 0:4:2], 0, new_w)
                        field[:, 1:4:2] = np.clip(field[:, 1:4:2], 0, new_h)
                    keep = (field[:, 2] > field[:, 0]) & (field[:, 3] > field[:, 1])
                    results[key] = field[keep]
                    kept = np.nonzero(inside)[0][keep]
                    label_key, mask_key = BBOX2LABEL.get(key), BBOX2MASK.get(key)
                    if label_key in results:
                        results[label_key] = results[label_key][kept]
                    if mask_key in results:
                        # the cropped area lands at (shift_x + x0, shift_y + y0) of the canvas
                        results[mask_key] = results[mask_key][kept].crop(patch).expand(
                            new_h, new_w, int(shift_y + patch[1]), int(shift_x + patch[0]))
                return results

    def _test_aug(self, results: dict) -> dict:
        img = results['img']
        h, w = img.shape[:2]
        results['img_shape'] = img.shape
        mode, value = self.test_pad_mode[0], self.test_pad_mode[1]
        if mode == 'logical_or':
            target_h = (h | value) + self.test_pad_add_pix
            target_w = (w | value) + self.test_pad_add_pix
        else:
            target_h = int(np.ceil(h / value)) * value
            target_w = int(np.ceil(w / value)) * value
        canvas, border, _ = self._crop_image_and_paste(img, [h // 2, w // 2],
                                                       [target_h, target_w])
        results['img'] = canvas
        results['pad_shape'] = canvas.shape
        results['border'] = border
        return results

    def __call__(self, results: dict) -> dict:
        name = type(self).__name__
        require(results, 'img', name)
        img = results['img']
        if img.dtype != np.float32:
            raise TypeError(f'{name} needs a float32 image, but got {img.dtype}; set '
                            f'to_float32=True in LoadImageFromFile')
        if img.ndim != 3 or img.shape[2] != len(self.mean):
            raise ValueError(f'{name}: the image has shape {img.shape} but mean has '
                             f'{len(self.mean)} channels')
        return self._test_aug(results) if self.test_mode else self._train_aug(results)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(crop_size={self.crop_size}, ratios={self.ratios}, '
                f'border={self.border}, mean={self.input_mean}, std={self.input_std}, '
                f'to_rgb={self.to_rgb}, test_mode={self.test_mode}, '
                f'test_pad_mode={self.test_pad_mode}, bbox_clip_border={self.bbox_clip_border})')
