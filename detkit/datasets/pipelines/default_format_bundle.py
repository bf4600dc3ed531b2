"""DefaultFormatBundle: the common fields as tensors, ready for collate."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ...registry import PIPELINES
from .to_tensor import to_tensor


@PIPELINES.register_module()
class DefaultFormatBundle:
    """Format the common fields (detkit has no DataContainer: plain tensors).

    - img: (H, W[, C]) -> contiguous (C, H, W) tensor, float32 if it was uint8
      and ``img_to_float``;
    - proposals, gt_bboxes, gt_bboxes_ignore, gt_labels: tensors (float32
      boxes, int64 labels, as the loaders make them);
    - gt_masks: left as BitmapMasks / PolygonMasks (the heads crop them);
    - gt_semantic_seg: (H, W) -> (1, H, W) tensor.

    Also sets the meta defaults when missing: ``pad_shape`` (the image shape),
    ``scale_factor`` (float32 [1, 1, 1, 1]), ``img_norm_cfg`` (mean 0, std 1).

    Args:
        img_to_float (bool): convert uint8 images to float32.
        pad_val (dict): ``dict(img=0, masks=0, seg=255)``: the padding values
            MMDetection's collate takes from its DataContainers. detkit's collate
            pads img with 0 and seg with 255 (these defaults); the argument is
            accepted and kept on the transform for config compatibility.
    """

    def __init__(self, img_to_float: bool = True, pad_val: Optional[dict] = None):
        self.img_to_float = img_to_float
        self.pad_val = dict(img=0, masks=0, seg=255)
        if pad_val is not None:
            if not isinstance(pad_val, dict):
                raise TypeError(f'DefaultFormatBundle: pad_val must be a dict like '
                                f'dict(img=0, masks=0, seg=255), got {pad_val!r}')
            self.pad_val.update(pad_val)

    @staticmethod
    def _add_default_meta_keys(results: dict) -> dict:
        img = results['img']
        results.setdefault('pad_shape', img.shape)
        results.setdefault('scale_factor', np.ones(4, dtype=np.float32))
        num_channels = 1 if img.ndim < 3 else img.shape[2]
        results.setdefault('img_norm_cfg', dict(mean=np.zeros(num_channels, dtype=np.float32),
                                                std=np.ones(num_channels, dtype=np.float32),
                                                to_rgb=False))
        return results

    def __call__(self, results: dict) -> dict:
        if 'img' in results:
            img = results['img']
            if self.img_to_float and img.dtype == np.uint8:
                img = img.astype(np.float32)
            results = self._add_default_meta_keys(results)
            if img.ndim < 3:
                img = np.expand_dims(img, -1)
            results['img'] = to_tensor(np.ascontiguousarray(img.transpose(2, 0, 1)))
        for key in ('proposals', 'gt_bboxes', 'gt_bboxes_ignore', 'gt_labels'):
            if key in results:
                results[key] = to_tensor(results[key])
        if 'gt_semantic_seg' in results:
            seg = np.ascontiguousarray(results['gt_semantic_seg'][None, ...])
            results['gt_semantic_seg'] = to_tensor(seg)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(img_to_float={self.img_to_float}, '
                f'pad_val={self.pad_val})')
