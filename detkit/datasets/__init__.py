"""Datasets, wrappers, samplers and the dataloader; importing registers them all."""
from . import pipelines  # noqa: F401  (registers the transforms)
from .builder import build_dataloader, build_dataset, worker_init_fn
from .class_balanced_dataset import ClassBalancedDataset
from .coco import CocoDataset
from .collate import collate, pad_stack
from .concat_dataset import ConcatDataset
from .custom import CustomDataset
from .multi_image_mix_dataset import MultiImageMixDataset
from .repeat_dataset import RepeatDataset
from .samplers import (
                       ClassAwareSampler,
                       DistributedGroupSampler,
                       DistributedSampler,
                       GroupSampler,
                       InfiniteBatchSampler,
                       InfiniteGroupBatchSampler,
)
from .synthetic import SHAPE_CLASSES, SyntheticShapes, make_synthetic_dataset
from .utils import get_loading_pipeline, replace_ImageToTensor
from .voc import VOCDataset
from .xml_style import XMLDataset

__all__ = [
    'CustomDataset', 'CocoDataset', 'XMLDataset', 'VOCDataset', 'ConcatDataset',
    'RepeatDataset', 'ClassBalancedDataset', 'MultiImageMixDataset', 'GroupSampler',
    'DistributedGroupSampler', 'DistributedSampler', 'InfiniteGroupBatchSampler',
    'InfiniteBatchSampler', 'ClassAwareSampler', 'build_dataset', 'build_dataloader',
    'worker_init_fn', 'collate', 'pad_stack', 'SHAPE_CLASSES', 'SyntheticShapes',
    'make_synthetic_dataset', 'replace_ImageToTensor', 'get_loading_pipeline',
]
