"""Dense heads (HEADS): per-location classification and box regression."""
from .anchor_head import AnchorHead
from .base_dense_head import BaseDenseHead
from .dense_test import (aug_test_bboxes, aug_test_rpn, merge_aug_bboxes, merge_aug_proposals,
                         simple_test_bboxes, simple_test_rpn)
from .dense_utils import filter_scores_and_topk, multi_apply, select_single_mlvl, unmap
from .retina_head import RetinaHead
from .rpn_head import RPNHead

__all__ = ['BaseDenseHead', 'AnchorHead', 'RetinaHead', 'RPNHead', 'multi_apply', 'unmap',
           'select_single_mlvl', 'filter_scores_and_topk', 'simple_test_bboxes',
           'aug_test_bboxes', 'merge_aug_bboxes', 'simple_test_rpn', 'aug_test_rpn',
           'merge_aug_proposals']
from .anchor_free_head import AnchorFreeHead  # noqa: E402
from .fcos_head import FCOSHead  # noqa: E402

__all__ += ['AnchorFreeHead', 'FCOSHead']
from .atss_head import ATSSHead  # noqa: E402
from .gfl_head import GFLHead  # noqa: E402

__all__ += ['ATSSHead', 'GFLHead']
from .ssd_head import SSDHead  # noqa: E402
from .yolo_head import YOLOV3Head  # noqa: E402
from .yolox_head import YOLOXHead  # noqa: E402

__all__ += ['SSDHead', 'YOLOV3Head', 'YOLOXHead']
from .vfnet_head import VFNetHead  # noqa: E402

__all__ += ['VFNetHead']
from .tood_head import TOODHead  # noqa: E402

__all__ += ['TOODHead']
