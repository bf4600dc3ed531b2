"""ClassAwareSampler: sample classes uniformly, then images of each class."""
from __future__ import annotations

import math
from typing import Iterator, Optional

import torch
from torch.utils.data import Sampler

from ._dist import resolve, sync_random_seed


class _RandomCycle:
    """Endless random order over ``data``, reshuffled after each pass."""

    def __init__(self, data: list, generator: torch.Generator):
        self.data = data
        self.generator = generator
        self.order = torch.randperm(len(data), generator=generator).tolist()
        self.i = 0

    def __next__(self):
        if self.i == len(self.data):
            self.order = torch.randperm(len(self.data), generator=self.generator).tolist()
            self.i = 0
        item = self.data[self.order[self.i]]
        self.i += 1
        return item


class ClassAwareSampler(Sampler):
    """Class-aware sampling (Shen et al., 2016): cycle over the classes in random
    order and take ``num_sample_class`` images of each from its own random cycle.

    Args:
        dataset: has ``get_cat2imgs()`` -> {label: [image indices]}.
        samples_per_gpu (int): batch size per process.
        num_replicas (int, optional), rank (int, optional): default from the process group.
        seed (int, optional): shared seed (None: a random one, the same on all ranks);
            each epoch reseeds with ``epoch + seed``.
        num_sample_class (int): consecutive images per drawn class.
    """

    def __init__(self, dataset, samples_per_gpu: int = 1, num_replicas: Optional[int] = None,
                 rank: Optional[int] = None, seed: Optional[int] = 0, num_sample_class: int = 1):
        self.num_replicas, self.rank = resolve(num_replicas, rank)
        if not hasattr(dataset, 'get_cat2imgs'):
            raise AttributeError(f'ClassAwareSampler needs dataset.get_cat2imgs(); '
                                 f'{type(dataset).__name__} has none')
        if not (isinstance(num_sample_class, int) and num_sample_class > 0):
            raise ValueError(f'num_sample_class must be a positive int, got {num_sample_class!r}')
        self.dataset = dataset
        self.samples_per_gpu = samples_per_gpu
        self.epoch = 0
        self.seed = sync_random_seed(seed)
        self.num_sample_class = num_sample_class
        self.cat_dict = dataset.get_cat2imgs()
        self.num_samples = int(math.ceil(len(dataset) / self.num_replicas / samples_per_gpu)) \
            * samples_per_gpu
        self.total_size = self.num_samples * self.num_replicas
        self.valid_cat_inds = [c for c, imgs in self.cat_dict.items() if len(imgs)]
        if not self.valid_cat_inds:
            raise ValueError('ClassAwareSampler: no class has any image')
        self.num_classes = len(self.valid_cat_inds)

    def __iter__(self) -> Iterator[int]:
        g = torch.Generator()
        g.manual_seed(self.epoch + self.seed)
        classes = _RandomCycle(self.valid_cat_inds, g)
        images = {c: _RandomCycle(self.cat_dict[c], g) for c in self.valid_cat_inds}
        num_bins = int(math.ceil(self.total_size / self.num_classes / self.num_sample_class))
        indices = []
        for _ in range(num_bins):
            for _ in range(self.num_classes):
                c = next(classes)
                indices.extend(next(images[c]) for _ in range(self.num_sample_class))
        indices = (indices + indices)[:self.total_size]
        offset = self.num_samples * self.rank
        return iter(indices[offset:offset + self.num_samples])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
