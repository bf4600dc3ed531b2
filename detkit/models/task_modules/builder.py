"""Builders of task modules, named as in MMDetection 2.x's ``mmdet.core``."""
from __future__ import annotations

import warnings
from typing import Any, Optional

from ...registry import (
    BBOX_ASSIGNERS,
    BBOX_CODERS,
    BBOX_SAMPLERS,
    IOU_CALCULATORS,
    MATCH_COSTS,
    PRIOR_GENERATORS,
    build_from_cfg,
)

__all__ = ['build_assigner', 'build_sampler', 'build_bbox_coder', 'build_prior_generator',
           'build_anchor_generator', 'build_iou_calculator', 'build_match_cost']


def build_assigner(cfg: dict, **default_args: Any) -> Any:
    """Build an assigner (BBOX_ASSIGNERS) from ``cfg``."""
    return build_from_cfg(cfg, BBOX_ASSIGNERS, default_args or None)


def build_sampler(cfg: dict, **default_args: Any) -> Any:
    """Build a sampler (BBOX_SAMPLERS); ``default_args`` e.g. ``context=self`` for OHEM."""
    return build_from_cfg(cfg, BBOX_SAMPLERS, default_args or None)


def build_bbox_coder(cfg: dict, **default_args: Any) -> Any:
    """Build a box coder (BBOX_CODERS) from ``cfg``."""
    return build_from_cfg(cfg, BBOX_CODERS, default_args or None)


def build_prior_generator(cfg: dict, default_args: Optional[dict] = None) -> Any:
    """Build a prior generator (PRIOR_GENERATORS) from ``cfg``."""
    return build_from_cfg(cfg, PRIOR_GENERATORS, default_args)


def build_anchor_generator(cfg: dict, default_args: Optional[dict] = None) -> Any:
    """Deprecated alias of :func:`build_prior_generator`."""
    warnings.warn('build_anchor_generator is deprecated, use build_prior_generator',
                  DeprecationWarning, stacklevel=2)
    return build_prior_generator(cfg, default_args)


def build_iou_calculator(cfg: dict, default_args: Optional[dict] = None) -> Any:
    """Build an IoU calculator (IOU_CALCULATORS) from ``cfg``."""
    return build_from_cfg(cfg, IOU_CALCULATORS, default_args)


def build_match_cost(cfg: dict, default_args: Optional[dict] = None) -> Any:
    """Build a match cost (MATCH_COSTS) from ``cfg``."""
    return build_from_cfg(cfg, MATCH_COSTS, default_args)
