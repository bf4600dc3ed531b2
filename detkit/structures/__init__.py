"""Data structures: box conversions and instance masks."""
from .bbox import (bbox2distance, bbox2result, bbox2roi, bbox_cxcywh_to_xyxy, bbox_flip,
                   bbox_mapping, bbox_mapping_back, bbox_rescale, bbox_xyxy_to_cxcywh,
                   distance2bbox, find_inside_bboxes, roi2bbox)

__all__ = [
    'bbox2distance', 'bbox2result', 'bbox2roi', 'bbox_cxcywh_to_xyxy', 'bbox_flip',
    'bbox_mapping', 'bbox_mapping_back', 'bbox_rescale', 'bbox_xyxy_to_cxcywh',
    'distance2bbox', 'find_inside_bboxes', 'roi2bbox',
]
