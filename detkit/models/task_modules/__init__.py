"""Task modules: prior generators, box coders, IoU calculators, assigners, samplers and
match costs. Importing this package registers all of them."""
from . import assigners, coders, iou_calculators, match_costs, prior_generators, samplers  # noqa: F401
from .builder import (
               build_anchor_generator,
               build_assigner,
               build_bbox_coder,
               build_iou_calculator,
               build_match_cost,
               build_prior_generator,
               build_sampler,
)

__all__ = ['build_assigner', 'build_sampler', 'build_bbox_coder', 'build_prior_generator',
           'build_anchor_generator', 'build_iou_calculator', 'build_match_cost']
