"""LoadAnnotations: boxes, labels, instance masks and semantic maps of a record."""
from __future__ import annotations

import os.path as osp
from typing import Optional, Sequence, Union

import numpy as np
import pycocotools.mask as mask_util

from ...registry import PIPELINES
from ...structures import BitmapMasks, PolygonMasks
from ._image import imfrombytes, read_bytes
from ._utils import require


@PIPELINES.register_module()
class LoadAnnotations:
    """Load the annotations of ``results['ann_info']`` (the dataset's middle format).

    Added keys (when enabled): ``gt_bboxes`` (N, 4) float32, ``gt_bboxes_ignore``
    (if the record has ``bboxes_ignore``), ``gt_is_group_ofs``, ``gt_labels`` (N,)
    int64, ``gt_masks`` (BitmapMasks, or PolygonMasks without ``poly2mask``),
    ``gt_semantic_seg`` (H, W), and the names in ``bbox_fields``, ``mask_fields``,
    ``seg_fields``.

    Args:
        with_bbox, with_label, with_mask, with_seg (bool): what to load.
        poly2mask (bool): rasterise polygons into BitmapMasks.
        denorm_bbox (bool): boxes are relative to the image size (OpenImages);
            multiply them by (w, h) of ``img_shape``.
        file_client_args (dict): only ``dict(backend='disk')`` is supported.
    """

    def __init__(self, with_bbox: bool = True, with_label: bool = True, with_mask: bool = False,
                 with_seg: bool = False, poly2mask: bool = True, denorm_bbox: bool = False,
                 file_client_args: Optional[dict] = None):
        self.with_bbox = with_bbox
        self.with_label = with_label
        self.with_mask = with_mask
        self.with_seg = with_seg
        self.poly2mask = poly2mask
        self.denorm_bbox = denorm_bbox
        self.file_client_args = dict(file_client_args or dict(backend='disk'))

    def _ann(self, results: dict, key: str):
        require(results, 'ann_info', 'LoadAnnotations')
        ann = results['ann_info']
        if key not in ann:
            raise KeyError(f"LoadAnnotations needs ann_info[{key!r}], but the record of "
                           f"{results.get('img_info', {}).get('filename', '?')!r} has keys "
                           f'{sorted(ann)}')
        return ann[key]

    def _load_bboxes(self, results: dict) -> dict:
        bboxes = np.array(self._ann(results, 'bboxes'), dtype=np.float32).reshape(-1, 4)
        if self.denorm_bbox and len(bboxes):
            require(results, 'img_shape', 'LoadAnnotations(denorm_bbox=True)')
            h, w = results['img_shape'][:2]
            bboxes[:, 0::2] *= w
            bboxes[:, 1::2] *= h
        results['gt_bboxes'] = bboxes
        fields = results.setdefault('bbox_fields', [])
        ignore = results['ann_info'].get('bboxes_ignore')
        if ignore is not None:
            results['gt_bboxes_ignore'] = np.array(ignore, dtype=np.float32).reshape(-1, 4)
            fields.append('gt_bboxes_ignore')
        fields.append('gt_bboxes')
        group_ofs = results['ann_info'].get('gt_is_group_ofs')
        if group_ofs is not None:
            results['gt_is_group_ofs'] = np.array(group_ofs).copy()
        return results

    def _load_labels(self, results: dict) -> dict:
        results['gt_labels'] = np.array(self._ann(results, 'labels'), dtype=np.int64).reshape(-1)
        return results

    @staticmethod
    def _poly2mask(mask_ann: Union[list, dict], img_h: int, img_w: int) -> np.ndarray:
        """(H, W) uint8 mask of polygons, uncompressed RLE or compressed RLE."""
        if isinstance(mask_ann, list):
            rle = mask_util.merge(mask_util.frPyObjects(mask_ann, img_h, img_w))
        elif isinstance(mask_ann.get('counts'), list):
            rle = mask_util.frPyObjects(mask_ann, img_h, img_w)
        else:
            rle = mask_ann
        return mask_util.decode(rle)

    @staticmethod
    def process_polygons(polygons: Sequence) -> list[np.ndarray]:
        """Polygons of one instance as arrays, dropping those with < 3 points or odd length."""
        polygons = [np.asarray(p, dtype=np.float64) for p in polygons]
        return [p for p in polygons if len(p) % 2 == 0 and len(p) >= 6]

    def _load_masks(self, results: dict) -> dict:
        require(results, 'img_info', 'LoadAnnotations')
        info = results['img_info']
        if 'height' not in info or 'width' not in info:
            raise KeyError(f"LoadAnnotations(with_mask=True) needs img_info['height'] and "
                           f"img_info['width'], but img_info has keys {sorted(info)}")
        h, w = info['height'], info['width']
        masks = self._ann(results, 'masks')
        if self.poly2mask:
            gt_masks = BitmapMasks([self._poly2mask(m, h, w) for m in masks], h, w)
        else:
            if any(isinstance(m, dict) for m in masks):
                raise ValueError('LoadAnnotations(poly2mask=False) needs polygon masks, but '
                                 f"the record of {info.get('filename', '?')!r} has RLE masks")
            gt_masks = PolygonMasks([self.process_polygons(m) for m in masks], h, w)
        results['gt_masks'] = gt_masks
        results.setdefault('mask_fields', []).append('gt_masks')
        return results

    def _load_semantic_seg(self, results: dict) -> dict:
        seg_map = self._ann(results, 'seg_map')
        prefix = results.get('seg_prefix')
        filename = osp.join(prefix, seg_map) if prefix is not None else seg_map
        seg = imfrombytes(read_bytes(filename, self.file_client_args), flag='unchanged')
        results['gt_semantic_seg'] = seg.squeeze()
        results.setdefault('seg_fields', []).append('gt_semantic_seg')
        return results

    def __call__(self, results: dict) -> dict:
        if self.with_bbox:
            results = self._load_bboxes(results)
        if self.with_label:
            results = self._load_labels(results)
        if self.with_mask:
            results = self._load_masks(results)
        if self.with_seg:
            results = self._load_semantic_seg(results)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(with_bbox={self.with_bbox}, '
                f'with_label={self.with_label}, with_mask={self.with_mask}, '
                f'with_seg={self.with_seg}, poly2mask={self.poly2mask}, '
                f'file_client_args={self.file_client_args})')
