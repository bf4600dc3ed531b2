"""InfiniteBatchSampler: endless batches, no grouping, for iteration-based runs."""
from __future__ import annotations

import itertools
from typing import Iterator, Optional

from torch.utils.data import Sampler

from ._dist import resolve, sync_random_seed
from .infinite_group_batch_sampler import _infinite_indices


class InfiniteBatchSampler(Sampler):
    """Yields batches of ``batch_size`` consecutive indices of this rank's endless
    (seeded) index stream.

    Args:
        dataset: any sized dataset.
        batch_size (int): indices per batch.
        world_size (int, optional), rank (int, optional): default from the process group.
        seed (int, optional): shared seed (None: a random one, the same on all ranks).
        shuffle (bool): shuffle each pass over the data.
    """

    def __init__(self, dataset, batch_size: int = 1, world_size: Optional[int] = None,
                 rank: Optional[int] = None, seed: Optional[int] = 0, shuffle: bool = True):
        self.world_size, self.rank = resolve(world_size, rank)
        self.dataset = dataset
        self.batch_size = batch_size
        self.seed = sync_random_seed(seed)
        self.shuffle = shuffle
        self.size = len(dataset)

    def __iter__(self) -> Iterator[list]:
        stream = itertools.islice(_infinite_indices(self.size, self.seed, self.shuffle),
                                  self.rank, None, self.world_size)
        while True:
            yield list(itertools.islice(stream, self.batch_size))

    def __len__(self) -> int:
        return self.size

    def set_epoch(self, epoch: int) -> None:
        """No epochs in an endless stream: accepted and ignored."""
