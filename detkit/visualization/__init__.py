"""Drawing detections and ground truth (matplotlib, headless-safe)."""
from .image import imshow_det_bboxes, imshow_gt_det_bboxes
from .palette import COLOR_NAMES, get_palette, palette_val

__all__ = ['imshow_det_bboxes', 'imshow_gt_det_bboxes', 'get_palette', 'palette_val', 'COLOR_NAMES']
