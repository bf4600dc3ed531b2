"""Builders of model components, named as in MMDetection 2.x's ``mmdet.models``."""
from __future__ import annotations

import warnings
from typing import Any, Optional

from ..registry import (BACKBONES, DETECTORS, HEADS, LOSSES, MODELS, NECKS,
                        ROI_EXTRACTORS, SHARED_HEADS)

__all__ = ['build_backbone', 'build_neck', 'build_roi_extractor', 'build_shared_head',
           'build_head', 'build_loss', 'build_detector', 'MODELS']


def build_backbone(cfg: dict) -> Any:
    """Build a backbone from ``cfg``."""
    return BACKBONES.build(cfg)


def build_neck(cfg: dict) -> Any:
    """Build a neck from ``cfg``."""
    return NECKS.build(cfg)


def build_roi_extractor(cfg: dict) -> Any:
    """Build a RoI feature extractor from ``cfg``."""
    return ROI_EXTRACTORS.build(cfg)


def build_shared_head(cfg: dict) -> Any:
    """Build a shared RoI head from ``cfg``."""
    return SHARED_HEADS.build(cfg)


def build_head(cfg: dict) -> Any:
    """Build a dense or RoI head from ``cfg``."""
    return HEADS.build(cfg)


def build_loss(cfg: dict) -> Any:
    """Build a loss module from ``cfg``."""
    return LOSSES.build(cfg)


def build_detector(cfg: dict, train_cfg: Optional[dict] = None,
                   test_cfg: Optional[dict] = None) -> Any:
    """Build a detector; ``train_cfg``/``test_cfg`` outside ``cfg`` are deprecated.

    As in MMDetection 2.x, they may be given either here or inside ``cfg``, not both.
    """
    if train_cfg is not None or test_cfg is not None:
        warnings.warn('train_cfg and test_cfg are deprecated as arguments; '
                      'specify them in the model config', UserWarning)
    if cfg.get('train_cfg') is not None and train_cfg is not None:
        raise ValueError('train_cfg is specified both as an argument and in the model config')
    if cfg.get('test_cfg') is not None and test_cfg is not None:
        raise ValueError('test_cfg is specified both as an argument and in the model config')
    return DETECTORS.build(cfg, default_args=dict(train_cfg=train_cfg, test_cfg=test_cfg))
