"""Instance masks: BitmapMasks, PolygonMasks and result helpers."""
from ._polygon_utils import polygon_to_bitmap
from .base_masks import BaseInstanceMasks
from .bitmap_masks import BitmapMasks
from .mask_target import mask_target
from .mask_utils import encode_mask_results, mask2bbox, split_combined_polys
from .polygon_masks import PolygonMasks

__all__ = ['BaseInstanceMasks', 'BitmapMasks', 'PolygonMasks', 'encode_mask_results',
           'mask2bbox', 'mask_target', 'polygon_to_bitmap', 'split_combined_polys']
