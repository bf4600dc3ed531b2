"""CopyPaste: paste instances of a second image onto the first (Simple Copy-Paste)."""
from __future__ import annotations

import numpy as np

from detkit.registry import PIPELINES

from ._augment_utils import require


def _as_bitmap(masks, owner: str):
    from detkit.structures import BitmapMasks, PolygonMasks
    if isinstance(masks, BitmapMasks):
        return masks
    if isinstance(masks, PolygonMasks):
        return masks.to_bitmap()
    raise TypeError(f'{owner}: gt_masks must be BitmapMasks or PolygonMasks, got '
                    f'{type(masks).__name__}')


@PIPELINES.register_module()
class CopyPaste:
    """`Simple Copy-Paste <https://arxiv.org/abs/2012.07177>`_ for instance segmentation.

    Both images must already have the same size (resized, cropped and padded alike).
    Steps: select some source objects (``num = randint(0, min(n + 1, max_num_pasted))``,
    then ``choice(n, num, replace=False)``; all of them when ``selected`` is False);
    paste their pixels onto the destination image; remove the covered pixels from the
    destination masks and recompute their boxes from the masks; keep a destination
    object if all four box sides moved by at most ``bbox_occluded_thr`` pixels or more
    than ``mask_occluded_thr`` of its pixels remain; append the source objects.

    Args:
        max_num_pasted (int): maximum number of pasted objects. Default 100.
        bbox_occluded_thr (int): box-side tolerance for keeping an occluded object. Default 10.
        mask_occluded_thr (int): minimum visible pixels for keeping one. Default 300.
        selected (bool): whether to paste a random subset (True) or all source objects.

    Required keys (in ``results`` and in its one ``mix_results`` entry): ``img``,
    ``gt_bboxes``, ``gt_labels``, ``gt_masks``. The output masks are BitmapMasks (polygons
    are rasterised first); the image keeps the destination's dtype.
    """

    def __init__(self, max_num_pasted: int = 100, bbox_occluded_thr: int = 10,
                 mask_occluded_thr: int = 300, selected: bool = True):
        self.max_num_pasted = max_num_pasted
        self.bbox_occluded_thr = bbox_occluded_thr
        self.mask_occluded_thr = mask_occluded_thr
        self.selected = selected

    def get_indexes(self, dataset) -> int:
        """One random index into ``dataset``."""
        return np.random.randint(0, len(dataset))

    def __call__(self, results: dict) -> dict:
        name = type(self).__name__
        keys = ['img', 'gt_bboxes', 'gt_labels', 'gt_masks']
        require(results, keys + ['mix_results'], name)
        mix = results['mix_results']
        if not isinstance(mix, (list, tuple)) or len(mix) != 1:
            n = len(mix) if isinstance(mix, (list, tuple)) else type(mix).__name__
            raise ValueError(f'{name} pastes from one image: mix_results must hold 1 result, '
                             f'got {n}')
        require(mix[0], keys, f'{name} (mix_results[0])')
        src = dict(mix[0])
        if self.selected:
            src = self._select_object(src)
        return self._copy_paste(results, src)

    def _select_object(self, results: dict) -> dict:
        """A random subset of the source objects (boxes, labels and masks alike)."""
        bboxes = results['gt_bboxes']
        max_num_pasted = min(bboxes.shape[0] + 1, self.max_num_pasted)
        num_pasted = np.random.randint(0, max_num_pasted)
        inds = np.random.choice(bboxes.shape[0], size=num_pasted, replace=False)
        results['gt_bboxes'] = bboxes[inds]
        results['gt_labels'] = results['gt_labels'][inds]
        results['gt_masks'] = results['gt_masks'][inds]
        return results

    def _copy_paste(self, dst_results: dict, src_results: dict) -> dict:
        from detkit.structures import BitmapMasks
        name = type(self).__name__
        dst_img, src_img = dst_results['img'], src_results['img']
        if dst_img.shape != src_img.shape:
            raise ValueError(f'{name}: the two images must have the same shape, got '
                             f'{dst_img.shape} and {src_img.shape}; resize/crop/pad both first')
        src_bboxes = src_results['gt_bboxes']
        if len(src_bboxes) == 0:
            return dst_results
        dst_masks = _as_bitmap(dst_results['gt_masks'], name)
        src_masks = _as_bitmap(src_results['gt_masks'], name)

        composed = np.any(src_masks.masks, axis=0)  # (H, W) pixels taken by pasted objects
        updated = np.where(composed, 0, dst_masks.masks).astype(dst_masks.masks.dtype)
        updated_masks = BitmapMasks(updated, dst_masks.height, dst_masks.width)
        updated_bboxes = updated_masks.get_bboxes()
        dst_bboxes = dst_results['gt_bboxes']
        bbox_ok = np.all(np.abs(updated_bboxes - dst_bboxes) <= self.bbox_occluded_thr, axis=-1)
        mask_ok = updated.sum(axis=(1, 2)) > self.mask_occluded_thr
        valid = bbox_ok | mask_ok

        alpha = composed[..., None] if dst_img.ndim == 3 else composed
        # cast back: MMDetection's int arithmetic here would turn a uint8 image into int64
        dst_results['img'] = np.where(alpha, src_img, dst_img).astype(dst_img.dtype)
        dst_results['gt_bboxes'] = np.concatenate(
            [updated_bboxes[valid].astype(dst_bboxes.dtype), src_bboxes.astype(dst_bboxes.dtype)])
        dst_results['gt_labels'] = np.concatenate(
            [dst_results['gt_labels'][valid], src_results['gt_labels']])
        masks = np.concatenate([updated[valid], src_masks.masks.astype(updated.dtype)])
        dst_results['gt_masks'] = BitmapMasks(masks, masks.shape[1], masks.shape[2])
        return dst_results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(max_num_pasted={self.max_num_pasted}, '
                f'bbox_occluded_thr={self.bbox_occluded_thr}, '
                f'mask_occluded_thr={self.mask_occluded_thr}, selected={self.selected})')
