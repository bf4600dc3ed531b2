"""DistributedGroupSampler: GroupSampler across processes, seeded per epoch."""
from __future__ import annotations

import math
from typing import Iterator, Optional

import numpy as np
import torch
from torch.utils.data import Sampler

from ._dist import resolve, sync_random_seed


class DistributedGroupSampler(Sampler):
    """Every batch of every rank comes from one ``dataset.flag`` group.

    Each group is shuffled (``torch.Generator`` seeded ``epoch + seed``, so all
    ranks agree), padded by repetition to a multiple of
    ``samples_per_gpu * num_replicas``; whole batches are shuffled and rank r
    takes the r-th contiguous slice.

    Args:
        dataset: has ``flag``.
        samples_per_gpu (int): batch size per process.
        num_replicas (int, optional), rank (int, optional): default from the process group.
        seed (int, optional): shared seed (None: a random one, the same on all ranks).
    """

    def __init__(self, dataset, samples_per_gpu: int = 1, num_replicas: Optional[int] = None,
                 rank: Optional[int] = None, seed: Optional[int] = 0):
        self.num_replicas, self.rank = resolve(num_replicas, rank)
        if not hasattr(dataset, 'flag'):
            raise AttributeError(f'DistributedGroupSampler needs dataset.flag; '
                                 f'{type(dataset).__name__} has none')
        self.dataset = dataset
        self.samples_per_gpu = samples_per_gpu
        self.epoch = 0
        self.seed = sync_random_seed(seed)
        self.flag = np.asarray(dataset.flag).astype(np.int64)
        self.group_sizes = np.bincount(self.flag)
        unit = samples_per_gpu * self.num_replicas
        self.num_samples = sum(int(math.ceil(s / unit)) * samples_per_gpu
                               for s in self.group_sizes)
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self) -> Iterator[int]:
        g = torch.Generator()
        g.manual_seed(self.epoch + self.seed)
        unit = self.samples_per_gpu * self.num_replicas
        indices: list[int] = []
        for gi, size in enumerate(self.group_sizes):
            if size == 0:
                continue
            idx = np.flatnonzero(self.flag == gi)[torch.randperm(int(size), generator=g).numpy()]
            need = int(math.ceil(size / unit)) * unit
            indices.extend(np.resize(idx, need).tolist())  # repeat cyclically to pad
        per = self.samples_per_gpu
        order = torch.randperm(len(indices) // per, generator=g).numpy()
        indices = np.asarray(indices).reshape(-1, per)[order].reshape(-1).tolist()
        offset = self.num_samples * self.rank
        return iter(indices[offset:offset + self.num_samples])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
