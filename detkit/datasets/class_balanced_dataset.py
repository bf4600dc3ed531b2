"""ClassBalancedDataset: repeat images of rare classes (LVIS repeat-factor sampling)."""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np

from detkit.registry import DATASETS


@DATASETS.register_module()
class ClassBalancedDataset:
    """Repeat each image ``ceil(r(I))`` times, r(I) = max over its categories c of
    ``max(1, sqrt(oversample_thr / f(c)))``, f(c) the fraction of images holding c
    (Gupta et al., LVIS, 2019).

    Args:
        dataset (Dataset): needs ``get_cat_ids(idx)``.
        oversample_thr (float): frequency below which a category is oversampled.
        filter_empty_gt (bool): if False, images without objects count as one
            more category (``len(CLASSES)``) and may be oversampled too.
    """

    def __init__(self, dataset, oversample_thr: float, filter_empty_gt: bool = True):
        self.dataset = dataset
        self.oversample_thr = oversample_thr
        self.filter_empty_gt = filter_empty_gt
        self.CLASSES = dataset.CLASSES
        self.PALETTE = getattr(dataset, 'PALETTE', None)
        factors = self._get_repeat_factors(dataset, oversample_thr)
        repeats = np.ceil(np.asarray(factors, dtype=np.float64)).astype(np.int64)
        self.repeat_indices = np.repeat(np.arange(len(dataset)), repeats).tolist()
        flag = getattr(dataset, 'flag', None)
        self.flag = (np.repeat(np.asarray(flag, dtype=np.uint8), repeats) if flag is not None
                     else np.zeros(0, dtype=np.uint8))

    def _cats(self, dataset, idx: int) -> set:
        cats = set(dataset.get_cat_ids(idx))
        if not cats and not self.filter_empty_gt:
            cats = {len(self.CLASSES)}  # "no object" as a category of its own
        return cats

    def _get_repeat_factors(self, dataset, repeat_thr: float) -> list[float]:
        """Per image repeat factor r(I) (see the class doc)."""
        per_image = [self._cats(dataset, i) for i in range(len(dataset))]
        freq: dict = defaultdict(int)
        for cats in per_image:
            for c in cats:
                freq[c] += 1
        n = len(dataset)
        cat_repeat = {c: max(1.0, math.sqrt(repeat_thr / (f / n))) for c, f in freq.items()}
        return [max((cat_repeat[c] for c in cats), default=1) for cats in per_image]

    def __getitem__(self, idx: int) -> Any:
        return self.dataset[self.repeat_indices[idx]]

    def get_ann_info(self, idx: int) -> dict:
        return self.dataset.get_ann_info(self.repeat_indices[idx])

    def get_cat_ids(self, idx: int) -> list:
        return self.dataset.get_cat_ids(self.repeat_indices[idx])

    def __len__(self) -> int:
        return len(self.repeat_indices)
