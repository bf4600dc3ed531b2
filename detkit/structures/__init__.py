"""Data structures: box conversions and instance masks."""
from .bbox import (
    bbox2distance,
    bbox2result,
    bbox2roi,
    bbox_cxcywh_to_xyxy,
    bbox_flip,
    bbox_mapping,
    bbox_mapping_back,
    bbox_rescale,
    bbox_xyxy_to_cxcywh,
    distance2bbox,
    find_inside_bboxes,
    roi2bbox,
)
from .masks import (
    BaseInstanceMasks,
    BitmapMasks,
    PolygonMasks,
    encode_mask_results,
    mask2bbox,
    mask_target,
    polygon_to_bitmap,
    split_combined_polys,
)

__all__ = [
    'bbox2distance', 'bbox2result', 'bbox2roi', 'bbox_cxcywh_to_xyxy', 'bbox_flip',
    'bbox_mapping', 'bbox_mapping_back', 'bbox_rescale', 'bbox_xyxy_to_cxcywh',
    'distance2bbox', 'find_inside_bboxes', 'roi2bbox',
    'BaseInstanceMasks', 'BitmapMasks', 'PolygonMasks', 'encode_mask_results', 'mask2bbox',
    'mask_target', 'polygon_to_bitmap', 'split_combined_polys',
]
