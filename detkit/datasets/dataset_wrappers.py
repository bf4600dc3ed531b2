"""MMDetection's import path for the wrappers (``mmdet.datasets.dataset_wrappers``)."""
from .class_balanced_dataset import ClassBalancedDataset
from .concat_dataset import ConcatDataset
from .multi_image_mix_dataset import MultiImageMixDataset
from .repeat_dataset import RepeatDataset

__all__ = ['ConcatDataset', 'RepeatDataset', 'ClassBalancedDataset', 'MultiImageMixDataset']
