"""RoI heads of two-stage detectors: extractors, box and mask heads, StandardRoIHead."""
from .base_roi_head import BaseRoIHead
from .bbox_heads import BBoxHead, ConvFCBBoxHead, Shared2FCBBoxHead, Shared4Conv1FCBBoxHead
from .mask_heads import FCNMaskHead
from .roi_extractors import BaseRoIExtractor, GenericRoIExtractor, SingleRoIExtractor
from .roi_test import merge_aug_bboxes, merge_aug_masks
from .standard_roi_head import StandardRoIHead

__all__ = ['BaseRoIHead', 'StandardRoIHead', 'BBoxHead', 'ConvFCBBoxHead', 'Shared2FCBBoxHead',
           'Shared4Conv1FCBBoxHead', 'FCNMaskHead', 'BaseRoIExtractor', 'SingleRoIExtractor',
           'GenericRoIExtractor', 'merge_aug_bboxes', 'merge_aug_masks']
from .cascade_roi_head import CascadeRoIHead  # noqa: E402

__all__ += ['CascadeRoIHead']
