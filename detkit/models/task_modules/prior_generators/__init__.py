"""Prior generators (PRIOR_GENERATORS): anchors and points."""
from .anchor_generator import AnchorGenerator
from .legacy_anchor_generator import LegacyAnchorGenerator
from .point_generator import MlvlPointGenerator
from .ssd_anchor_generator import SSDAnchorGenerator
from .utils import anchor_inside_flags, calc_region, images_to_levels
from .yolo_anchor_generator import YOLOAnchorGenerator

__all__ = ['AnchorGenerator', 'LegacyAnchorGenerator', 'MlvlPointGenerator',
           'SSDAnchorGenerator', 'YOLOAnchorGenerator', 'anchor_inside_flags', 'calc_region',
           'images_to_levels']
