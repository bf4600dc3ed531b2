"""Samplers: group purity, padding, rank partition, seeding."""
import itertools

import numpy as np
import pytest

from detkit.datasets import (
    ClassAwareSampler,
    DistributedGroupSampler,
    DistributedSampler,
    GroupSampler,
    InfiniteBatchSampler,
    InfiniteGroupBatchSampler,
)


class _DS:
    def __init__(self, flag):
        self.flag = np.asarray(flag, np.uint8)

    def __len__(self):
        return len(self.flag)

    def get_cat2imgs(self):
        return {0: [0, 1, 2, 3, 4], 1: [5], 2: []}


FLAG = [0, 1, 1, 0, 1, 1, 1, 0, 1]  # 3 in group 0, 6 in group 1


def _batches(indices, n):
    return [indices[i:i + n] for i in range(0, len(indices), n)]


def test_group_sampler_batches_are_pure_and_padded():
    ds = _DS(FLAG)
    np.random.seed(0)
    s = GroupSampler(ds, samples_per_gpu=4)
    idx = list(s)
    assert len(idx) == len(s) == 4 + 8  # group 0 padded 3 -> 4, group 1 6 -> 8
    for b in _batches(idx, 4):
        assert len({FLAG[i] for i in b}) == 1
    assert set(idx) == set(range(9))


def test_distributed_group_sampler_ranks_partition_and_agree():
    ds = _DS(FLAG)
    per_rank = [list(DistributedGroupSampler(ds, 2, num_replicas=2, rank=r, seed=3))
                for r in range(2)]
    # group 0: 3 -> 4, group 1: 6 -> 8 (multiples of 2 * 2); 6 per rank
    assert [len(p) for p in per_rank] == [6, 6]
    for p in per_rank:
        for b in _batches(p, 2):
            assert len({FLAG[i] for i in b}) == 1
    assert set(per_rank[0]) | set(per_rank[1]) == set(range(9))
    again = list(DistributedGroupSampler(ds, 2, num_replicas=2, rank=0, seed=3))
    assert again == per_rank[0]
    s = DistributedGroupSampler(ds, 2, num_replicas=2, rank=0, seed=3)
    s.set_epoch(1)
    assert list(s) != per_rank[0]
    with pytest.raises(ValueError, match='rank must be in \\[0, 2\\), but got 2'):
        DistributedGroupSampler(ds, 2, num_replicas=2, rank=2)


def test_distributed_sampler_pads_short_datasets():
    ds = _DS([0, 0, 0])
    parts = [list(DistributedSampler(ds, num_replicas=4, rank=r, shuffle=False))
             for r in range(4)]
    assert parts == [[0], [1], [2], [0]]
    a = list(DistributedSampler(_DS([0] * 10), num_replicas=1, rank=0, seed=1))
    assert sorted(a) == list(range(10)) and a != list(range(10))


def test_infinite_samplers():
    ds = _DS(FLAG)
    it = iter(InfiniteGroupBatchSampler(ds, batch_size=2, world_size=1, rank=0, seed=0))
    batches = list(itertools.islice(it, 20))
    for b in batches:
        assert len(b) == 2 and FLAG[b[0]] == FLAG[b[1]]
    it = iter(InfiniteBatchSampler(ds, batch_size=4, world_size=2, rank=1, shuffle=False))
    assert list(itertools.islice(it, 3)) == [[1, 3, 5, 7], [0, 2, 4, 6], [8, 1, 3, 5]]


def test_class_aware_sampler_balances_classes():
    s = ClassAwareSampler(_DS([0] * 6), samples_per_gpu=2, num_replicas=1, rank=0, seed=0)
    idx = list(s)
    assert len(idx) == len(s) == 6
    # classes 0 and 1 alternate in random cycles: image 5 (class 1's only image) is half
    assert idx.count(5) == 3
    with pytest.raises(ValueError, match='num_sample_class must be a positive int'):
        ClassAwareSampler(_DS([0]), num_sample_class=0, num_replicas=1, rank=0)


def _mmdet_style_distributed_group(flag, per, replicas, rank, seed, epoch):
    """The order MMDetection 2.x produces, written with plain loops (the reference)."""
    import math

    import torch
    flag = np.asarray(flag, np.int64)
    sizes = np.bincount(flag)
    num_samples = sum(int(math.ceil(s / per / replicas)) * per for s in sizes)
    g = torch.Generator()
    g.manual_seed(epoch + seed)
    indices = []
    for i, size in enumerate(sizes):
        if size > 0:
            ind = np.where(flag == i)[0]
            ind = ind[list(torch.randperm(int(size), generator=g).numpy())].tolist()
            extra = int(math.ceil(size / per / replicas)) * per * replicas - len(ind)
            tmp = ind.copy()
            for _ in range(extra // size):
                ind.extend(tmp)
            ind.extend(tmp[:extra % size])
            indices.extend(ind)
    perm = list(torch.randperm(len(indices) // per, generator=g))
    indices = [indices[j] for i in perm for j in range(i * per, (i + 1) * per)]
    return indices[num_samples * rank:num_samples * (rank + 1)]


@pytest.mark.parametrize('per,replicas', [(1, 1), (2, 2), (3, 2), (2, 4)])
def test_distributed_group_sampler_order_is_mmdetections(per, replicas):
    flag = [0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 0]
    for rank in range(replicas):
        s = DistributedGroupSampler(_DS(flag), per, num_replicas=replicas, rank=rank, seed=4)
        s.set_epoch(2)
        assert list(s) == _mmdet_style_distributed_group(flag, per, replicas, rank, 4, 2)


def test_seed_none_draws_one_from_numpy():
    np.random.seed(3)
    expect = int(np.random.randint(2**31))
    np.random.seed(3)
    s = DistributedSampler(_DS([0] * 5), num_replicas=1, rank=0, seed=None)
    assert s.seed == expect


def _rank_main(rank, init_file, queue):
    import torch.distributed as dist
    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    np.random.seed(rank)  # different per rank: the broadcast must make them agree
    s = DistributedGroupSampler(_DS(FLAG), 2, seed=None)
    queue.put((rank, s.seed, list(s)))
    dist.barrier()
    dist.destroy_process_group()


def test_two_gloo_ranks_share_the_seed_and_split_the_data(tmp_path):
    import multiprocessing as mp
    ctx = mp.get_context('fork')
    queue = ctx.Queue()
    procs = [ctx.Process(target=_rank_main, args=(r, str(tmp_path / 'init'), queue))
             for r in range(2)]
    for p in procs:
        p.start()
    out = dict((r, (seed, idx)) for r, seed, idx in (queue.get(timeout=120) for _ in procs))
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    np.random.seed(0)
    assert out[0][0] == out[1][0] == int(np.random.randint(2**31))  # rank 0's draw
    assert set(out[0][1]) | set(out[1][1]) == set(range(len(FLAG)))
