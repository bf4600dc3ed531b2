"""Evaluation: VOC-style mAP, proposal recall, class names (COCO metrics live in CocoDataset)."""
from .bbox_overlaps import bbox_overlaps
from .class_names import (
                          cityscapes_classes,
                          coco_classes,
                          dataset_aliases,
                          get_classes,
                          shapes_classes,
                          voc_classes,
                          wider_face_classes,
)
from .mean_ap import average_precision, eval_map, print_map_summary, tpfp_default, tpfp_imagenet
from .recall import eval_recalls, plot_iou_recall, plot_num_recall, print_recall_summary

__all__ = [
    'bbox_overlaps', 'get_classes', 'dataset_aliases', 'voc_classes', 'coco_classes',
    'cityscapes_classes', 'wider_face_classes', 'shapes_classes', 'average_precision',
    'eval_map', 'print_map_summary', 'tpfp_default', 'tpfp_imagenet', 'eval_recalls',
    'print_recall_summary', 'plot_num_recall', 'plot_iou_recall',
]
