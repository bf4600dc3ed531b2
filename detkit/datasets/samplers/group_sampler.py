"""GroupSampler: batches that never mix aspect-ratio groups (one process)."""
from __future__ import annotations

from typing import Iterator

import numpy as np
from torch.utils.data import Sampler


class GroupSampler(Sampler):
    """Shuffle within each ``dataset.flag`` group, pad each group to a multiple of
    ``samples_per_gpu`` with random repeats, then shuffle whole batches.

    Randomness: numpy's global RNG (seeded by the runner), as MMDetection.

    Args:
        dataset: has ``flag`` (N,) small ints (aspect-ratio group of each image).
        samples_per_gpu (int): batch size.
    """

    def __init__(self, dataset, samples_per_gpu: int = 1):
        if not hasattr(dataset, 'flag'):
            raise AttributeError(f'GroupSampler needs dataset.flag (aspect-ratio groups); '
                                 f'{type(dataset).__name__} has none (test_mode datasets '
                                 'have no flag)')
        self.dataset = dataset
        self.samples_per_gpu = samples_per_gpu
        self.flag = np.asarray(dataset.flag).astype(np.int64)
        self.group_sizes = np.bincount(self.flag)
        per = samples_per_gpu
        self.num_samples = int(sum(int(np.ceil(s / per)) * per for s in self.group_sizes))

    def __iter__(self) -> Iterator[int]:
        per = self.samples_per_gpu
        groups = []
        for g, size in enumerate(self.group_sizes):
            if size == 0:
                continue
            idx = np.flatnonzero(self.flag == g)
            np.random.shuffle(idx)
            extra = int(np.ceil(size / per)) * per - len(idx)
            groups.append(np.concatenate([idx, np.random.choice(idx, extra)]))
        indices = np.concatenate(groups)
        batches = np.random.permutation(len(indices) // per)
        indices = indices.reshape(-1, per)[batches].reshape(-1)
        return iter(indices.astype(np.int64).tolist())

    def __len__(self) -> int:
        return self.num_samples
