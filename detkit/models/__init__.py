"""Model components. Importing this package registers every one of them."""
from . import (backbones, dense_heads, detectors, layers, losses, necks,  # noqa: F401
               roi_heads, task_modules)
from .builder import (MODELS, build_backbone, build_detector, build_head, build_loss,
                      build_neck, build_roi_extractor, build_shared_head)

__all__ = ['MODELS', 'build_backbone', 'build_neck', 'build_roi_extractor', 'build_shared_head',
           'build_head', 'build_loss', 'build_detector']
