"""detkit's compiled ops: NMS variants, RoI feature extractors, box overlaps, fused losses.

Importing this package loads the extension ``detkit._C`` (which registers
``torch.ops.detkit.*``) and raises an ImportError explaining how to build it
when it is absent.
"""

from . import _fake  # noqa: F401  (fake kernels for torch.compile)
from ._ext import compiled_ops, cuda_compiled
from .bbox_overlaps import bbox_overlaps
from .focal_loss import SigmoidFocalLoss, sigmoid_focal_loss
from .multiclass_nms import fast_nms, multiclass_nms
from .nms import batched_nms, nms, soft_nms
from .roi_align import RoIAlign, roi_align
from .roi_pool import RoIPool, roi_pool

__all__ = [
    'RoIAlign',
    'RoIPool',
    'SigmoidFocalLoss',
    'batched_nms',
    'bbox_overlaps',
    'compiled_ops',
    'cuda_compiled',
    'fast_nms',
    'multiclass_nms',
    'nms',
    'roi_align',
    'roi_pool',
    'sigmoid_focal_loss',
    'soft_nms',
]
