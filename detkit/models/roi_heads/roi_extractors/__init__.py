"""RoI feature extractors (ROI_EXTRACTORS)."""
from .base_roi_extractor import BaseRoIExtractor, build_roi_layer
from .generic_roi_extractor import GenericRoIExtractor
from .single_level_roi_extractor import SingleRoIExtractor

__all__ = ['BaseRoIExtractor', 'SingleRoIExtractor', 'GenericRoIExtractor', 'build_roi_layer']
