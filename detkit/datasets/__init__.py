"""Datasets, wrappers, samplers and the dataloader; importing registers them all."""
from . import pipelines  # noqa: F401  (registers the transforms)
from .coco import CocoDataset
from .custom import CustomDataset
from .synthetic import SHAPE_CLASSES, SyntheticShapes, make_synthetic_dataset

__all__ = ['CustomDataset', 'CocoDataset', 'SHAPE_CLASSES', 'SyntheticShapes',
           'make_synthetic_dataset']
