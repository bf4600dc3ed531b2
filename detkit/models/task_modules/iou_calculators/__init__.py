"""IoU calculators (IOU_CALCULATORS)."""
from .iou2d_calculator import BboxOverlaps2D, bbox_overlaps

__all__ = ['BboxOverlaps2D', 'bbox_overlaps']
