"""RepeatDataset: a dataset repeated ``times`` (short epochs cost less to restart)."""
from __future__ import annotations

from typing import Any

import numpy as np

from detkit.registry import DATASETS


@DATASETS.register_module()
class RepeatDataset:
    """Index ``i`` is ``dataset[i % len(dataset)]``; length ``times * len(dataset)``.

    Args:
        dataset (Dataset): the dataset to repeat.
        times (int): repeat times.
    """

    def __init__(self, dataset, times: int):
        if not isinstance(times, int) or times < 1:
            raise ValueError(f'RepeatDataset: times must be a positive int, but got {times!r}')
        self.dataset = dataset
        self.times = times
        self.CLASSES = dataset.CLASSES
        self.PALETTE = getattr(dataset, 'PALETTE', None)
        if hasattr(dataset, 'flag'):
            self.flag = np.tile(dataset.flag, times)
        self._ori_len = len(dataset)

    def __getitem__(self, idx: int) -> Any:
        return self.dataset[idx % self._ori_len]

    def get_cat_ids(self, idx: int) -> list:
        return self.dataset.get_cat_ids(idx % self._ori_len)

    def get_ann_info(self, idx: int) -> dict:
        return self.dataset.get_ann_info(idx % self._ori_len)

    def __len__(self) -> int:
        return self.times * self._ori_len
