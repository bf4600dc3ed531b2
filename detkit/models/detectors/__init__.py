"""Detectors (DETECTORS): whole models from image to result."""
from .base import BaseDetector
from .retinanet import RetinaNet
from .rpn import RPN
from .single_stage import SingleStageDetector

__all__ = ['BaseDetector', 'SingleStageDetector', 'RetinaNet', 'RPN']
from .atss import ATSS  # noqa: E402
from .fcos import FCOS  # noqa: E402
from .gfl import GFL  # noqa: E402

__all__ += ['FCOS', 'ATSS', 'GFL']
from .yolo import YOLOV3  # noqa: E402
from .yolox import YOLOX  # noqa: E402

__all__ += ['YOLOV3', 'YOLOX']
from .vfnet import VFNet  # noqa: E402

__all__ += ['VFNet']
from .tood import TOOD  # noqa: E402

__all__ += ['TOOD']
from .fast_rcnn import FastRCNN  # noqa: E402
from .faster_rcnn import FasterRCNN  # noqa: E402
from .mask_rcnn import MaskRCNN  # noqa: E402
from .two_stage import TwoStageDetector  # noqa: E402

__all__ += ['TwoStageDetector', 'FasterRCNN', 'MaskRCNN', 'FastRCNN']
from .cascade_rcnn import CascadeRCNN  # noqa: E402

__all__ += ['CascadeRCNN']
