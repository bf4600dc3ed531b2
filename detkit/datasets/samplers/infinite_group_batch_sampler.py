"""InfiniteGroupBatchSampler: endless same-group batches for iteration-based training."""
from __future__ import annotations

import itertools
from typing import Iterator, Optional

import numpy as np
import torch
from torch.utils.data import Sampler

from ._dist import resolve, sync_random_seed


def _infinite_indices(size: int, seed: int, shuffle: bool) -> Iterator[int]:
    g = torch.Generator()
    g.manual_seed(seed)
    while True:
        if shuffle:
            yield from torch.randperm(size, generator=g).tolist()
        else:
            yield from range(size)


class InfiniteGroupBatchSampler(Sampler):
    """Yields batches (lists of indices) forever; a batch is filled from the
    endless (seeded) index stream of this rank, one buffer per ``flag`` group,
    and emitted when its group's buffer holds ``batch_size`` indices.

    Args:
        dataset: has ``flag``.
        batch_size (int): indices per batch.
        world_size (int, optional), rank (int, optional): default from the process group.
        seed (int, optional): shared seed (None: a random one, the same on all ranks).
        shuffle (bool): shuffle each pass over the data.
    """

    def __init__(self, dataset, batch_size: int = 1, world_size: Optional[int] = None,
                 rank: Optional[int] = None, seed: Optional[int] = 0, shuffle: bool = True):
        self.world_size, self.rank = resolve(world_size, rank)
        if not hasattr(dataset, 'flag'):
            raise AttributeError(f'InfiniteGroupBatchSampler needs dataset.flag; '
                                 f'{type(dataset).__name__} has none')
        self.dataset = dataset
        self.batch_size = batch_size
        self.seed = sync_random_seed(seed)
        self.shuffle = shuffle
        self.flag = np.asarray(dataset.flag).astype(np.int64)
        self.group_sizes = np.bincount(self.flag)
        self.size = len(dataset)

    def __iter__(self) -> Iterator[list]:
        buffers: dict[int, list] = {g: [] for g in range(len(self.group_sizes))}
        stream = itertools.islice(_infinite_indices(self.size, self.seed, self.shuffle),
                                  self.rank, None, self.world_size)
        for idx in stream:
            buf = buffers[int(self.flag[idx])]
            buf.append(idx)
            if len(buf) == self.batch_size:
                yield buf[:]
                del buf[:]

    def __len__(self) -> int:
        """The dataset size (iteration-based runners stop by iteration count)."""
        return self.size

    def set_epoch(self, epoch: int) -> None:
        """No epochs in an endless stream: accepted and ignored."""
