"""ConcatDataset: several datasets as one, evaluated separately or together."""
from __future__ import annotations

import bisect
from typing import Any, Sequence

import numpy as np
from torch.utils.data.dataset import ConcatDataset as _TorchConcatDataset

from detkit.registry import DATASETS
from detkit.utils.logging import print_log


@DATASETS.register_module()
class ConcatDataset(_TorchConcatDataset):
    """Concatenate datasets; ``flag`` (aspect groups) is concatenated too.

    Args:
        datasets (Sequence[Dataset]): datasets sharing their classes.
        separate_eval (bool): evaluate each dataset on its own slice of the
            results (keys prefixed '{i}_'), or all together (same dataset type,
            not COCO).
    """

    def __init__(self, datasets: Sequence, separate_eval: bool = True):
        super().__init__(datasets)
        self.CLASSES = datasets[0].CLASSES
        self.PALETTE = getattr(datasets[0], 'PALETTE', None)
        self.separate_eval = separate_eval
        if not separate_eval:
            self._check_joint_eval()
        if all(hasattr(d, 'flag') for d in datasets):
            self.flag = np.concatenate([d.flag for d in datasets])

    def _check_joint_eval(self) -> None:
        from .coco import CocoDataset
        if any(isinstance(d, CocoDataset) for d in self.datasets):
            raise ValueError('Evaluating concatenated CocoDataset as a whole is not supported! '
                             'Please set "separate_eval=True"')
        types = {type(d).__name__ for d in self.datasets}
        if len(types) != 1:
            raise ValueError(f'All the datasets should have same types to be evaluated as a '
                             f'whole, but got {sorted(types)}; set "separate_eval=True"')

    def _locate(self, idx: int) -> tuple[int, int]:
        if idx < 0:
            if -idx > len(self):
                raise ValueError('absolute value of index should not exceed dataset length')
            idx = len(self) + idx
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        return d, idx - (self.cumulative_sizes[d - 1] if d > 0 else 0)

    def get_cat_ids(self, idx: int) -> list:
        d, i = self._locate(idx)
        return self.datasets[d].get_cat_ids(i)

    def get_ann_info(self, idx: int) -> dict:
        d, i = self._locate(idx)
        return self.datasets[d].get_ann_info(i)

    def evaluate(self, results: list, logger=None, **kwargs) -> dict:
        """Evaluate per dataset ('{i}_{key}' entries) or as a whole."""
        if len(results) != self.cumulative_sizes[-1]:
            raise ValueError(f'Dataset and results have different sizes: '
                             f'{self.cumulative_sizes[-1]} v.s. {len(results)}')
        for d in self.datasets:
            if not hasattr(d, 'evaluate'):
                raise TypeError(f'{type(d).__name__} does not implement evaluate function')
        if self.separate_eval:
            out: dict[str, Any] = {}
            start = 0
            for i, (end, d) in enumerate(zip(self.cumulative_sizes, self.datasets)):
                part = results[start:end]
                print_log(f'\nEvaluating {getattr(d, "ann_file", type(d).__name__)} with '
                          f'{len(part)} images now', logger=logger)
                for k, v in d.evaluate(part, logger=logger, **kwargs).items():
                    out[f'{i}_{k}'] = v
                start = end
            return out
        self._check_joint_eval()
        first = self.datasets[0]
        original = first.data_infos
        first.data_infos = [r for d in self.datasets for r in d.data_infos]
        try:
            return first.evaluate(results, logger=logger, **kwargs)
        finally:
            first.data_infos = original
