"""Samplers: aspect-ratio groups, distributed, infinite (iteration-based), class-aware."""
from .class_aware_sampler import ClassAwareSampler
from .distributed_group_sampler import DistributedGroupSampler
from .distributed_sampler import DistributedSampler
from .group_sampler import GroupSampler
from .infinite_batch_sampler import InfiniteBatchSampler
from .infinite_group_batch_sampler import InfiniteGroupBatchSampler

__all__ = ['GroupSampler', 'DistributedGroupSampler', 'DistributedSampler',
           'InfiniteGroupBatchSampler', 'InfiniteBatchSampler', 'ClassAwareSampler']
