"""DistributedSampler: torch's, with MMDetection's seed and padding."""
from __future__ import annotations

import math
from typing import Iterator, Optional

import torch
from torch.utils.data import DistributedSampler as _TorchDistributedSampler

from ._dist import resolve, sync_random_seed


class DistributedSampler(_TorchDistributedSampler):
    """Rank r takes indices r, r + R, ... of a (seeded ``epoch + seed``) permutation,
    padded by repetition to a multiple of R (even when the dataset is shorter than R).

    Args:
        dataset: any sized dataset.
        num_replicas (int, optional), rank (int, optional): default from the process group.
        shuffle (bool): permute (else keep the order).
        seed (int, optional): shared seed (None: a random one, the same on all ranks).
    """

    def __init__(self, dataset, num_replicas: Optional[int] = None, rank: Optional[int] = None,
                 shuffle: bool = True, seed: Optional[int] = 0):
        num_replicas, rank = resolve(num_replicas, rank)
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=shuffle)
        self.seed = sync_random_seed(seed)

    def __iter__(self) -> Iterator[int]:
        if self.shuffle:
            g = torch.Generator()
            g.manual_seed(self.epoch + self.seed)
            indices = torch.randperm(len(self.dataset), generator=g).tolist()
        else:
            indices = list(range(len(self.dataset)))
        indices = (indices * math.ceil(self.total_size / len(indices)))[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])
