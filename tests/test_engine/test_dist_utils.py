"""Two gloo processes (torch.multiprocessing.spawn): reductions, result collection, DDP."""

import json
import os
import socket
from collections import OrderedDict

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.utils.data import DistributedSampler

from detkit.engine import (
    SyncNormHook,
    all_reduce_dict,
    collect_results_cpu,
    collect_results_gpu,
    get_dist_info,
    init_dist,
    master_only,
    reduce_mean,
    sync_random_seed,
    wrap_ddp,
)

from ._toy import ToyModel

WORLD = 2


def _batch(rank):
    g = torch.Generator().manual_seed(10 + rank)
    x = torch.randn(3, 2, generator=g)
    return {'img': x, 'target': x.sum(1, keepdim=True)}


@master_only
def _only_master(path):
    with open(path, 'w') as f:
        f.write('x')


def _worker(rank, port, tmpdir):
    os.chdir(tmpdir)  # collect_results_cpu makes its '.dist_test' in the working folder
    os.environ.update(
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(WORLD),
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(port),
    )
    init_dist('pytorch')
    out = {'backend': dist.get_backend(), 'info': list(get_dist_info())}
    # ranks build their dicts in different orders; rank 0's order wins
    items = [('b', torch.tensor([rank + 1.0])), ('a', torch.full((2, 2), float(rank)))]
    reduced = all_reduce_dict(OrderedDict(items if rank == 0 else items[::-1]), op='mean')
    out['reduced'] = {k: v.tolist() for k, v in reduced.items()}
    out['reduced_keys'] = list(reduced)
    out['summed'] = all_reduce_dict({'n': torch.tensor([rank + 1])})['n'].tolist()
    out['reduce_mean'] = reduce_mean(torch.tensor(2.0 * rank + 1)).item()
    out['seed'] = sync_random_seed(None if rank == 0 else 5)
    # a dataset of 7: the sampler gives rank 0 [0, 2, 4, 6] and rank 1 [1, 3, 5, 0] (padded)
    part = [
        f'img{i}'
        for i in DistributedSampler(range(7), num_replicas=WORLD, rank=rank, shuffle=False)
    ]
    out['cpu'] = collect_results_cpu(part, 7)
    out['cpu_dir'] = collect_results_cpu(part, 7, tmpdir=os.path.join(tmpdir, 'parts'))
    out['gpu'] = collect_results_gpu(part, 7)
    # DDP through train_step averages the gradients of the two processes
    torch.manual_seed(0)
    model = ToyModel()
    ddp = wrap_ddp(model, 'cpu')
    ddp.train_step(_batch(rank), None)['loss'].backward()
    out['grad'] = model.linear.weight.grad.tolist()
    # SyncNormHook averages BatchNorm statistics across the processes
    bn_model = torch.nn.Sequential(torch.nn.BatchNorm1d(2))
    bn_model[0].running_mean.fill_(float(rank))
    bn_model[0].num_batches_tracked.fill_(2 + 2 * rank)

    class R:
        epoch, max_epochs, model = 0, 1, bn_model

    SyncNormHook(interval=1).after_train_epoch(R)
    out['bn'] = bn_model[0].running_mean.tolist()
    count = bn_model[0].num_batches_tracked
    out['bn_count'] = (int(count), str(count.dtype))
    _only_master(os.path.join(tmpdir, f'master_{rank}'))
    with open(os.path.join(tmpdir, f'rank{rank}.json'), 'w') as f:
        json.dump(out, f)
    dist.barrier()
    dist.destroy_process_group()


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def results(tmp_path_factory):
    tmpdir = str(tmp_path_factory.mktemp('dist'))
    mp.spawn(_worker, args=(_free_port(), tmpdir), nprocs=WORLD, join=True)
    outs = []
    for rank in range(WORLD):
        with open(os.path.join(tmpdir, f'rank{rank}.json')) as f:
            outs.append(json.load(f))
    return outs, tmpdir


def test_init_and_reductions(results):
    outs, _ = results
    assert [o['info'] for o in outs] == [[0, 2], [1, 2]]
    assert outs[0]['backend'] == ('nccl' if torch.cuda.is_available() else 'gloo')
    for o in outs:
        assert o['reduced_keys'] == ['b', 'a']
        assert o['reduced'] == {'b': [1.5], 'a': [[0.5, 0.5], [0.5, 0.5]]}
        assert o['summed'] == [3.0]
        assert o['reduce_mean'] == 2.0  # mean of 1 and 3
    assert outs[0]['seed'] == outs[1]['seed']  # rank 0's random seed, broadcast


def test_collect_results_restores_dataset_order(results):
    outs, tmpdir = results
    expected = [f'img{i}' for i in range(7)]
    assert outs[0]['cpu'] == expected and outs[0]['cpu_dir'] == expected
    assert outs[0]['gpu'] == expected
    assert outs[1]['cpu'] is None and outs[1]['gpu'] is None
    assert os.listdir(os.path.join(tmpdir, '.dist_test')) == []  # temporary parts removed


def test_ddp_train_step_averages_gradients(results):
    outs, _ = results
    torch.manual_seed(0)
    model = ToyModel()
    grads = []
    for rank in range(WORLD):
        model.zero_grad()
        model.train_step(_batch(rank), None)['loss'].backward()
        grads.append(model.linear.weight.grad.clone())
    expected = (grads[0] + grads[1]) / 2
    for o in outs:
        torch.testing.assert_close(torch.tensor(o['grad']), expected)


def test_sync_norm_and_master_only(results):
    outs, tmpdir = results
    assert outs[0]['bn'] == outs[1]['bn'] == [0.5, 0.5]
    assert outs[0]['bn_count'] == [3, 'torch.int64']
    assert os.path.exists(os.path.join(tmpdir, 'master_0'))
    assert not os.path.exists(os.path.join(tmpdir, 'master_1'))


def test_single_process_fallbacks():
    assert get_dist_info() == (0, 1)
    t = torch.tensor([1.0, 2.0])
    assert reduce_mean(t) is t
    assert collect_results_cpu(['a', 'b', 'c'], 2) == ['a', 'b']
    assert sync_random_seed(7) == 7
    with pytest.raises(ValueError, match="did you mean 'slurm'"):
        init_dist('slurmm')
    with pytest.raises(KeyError, match='RANK'):
        env = dict(os.environ)
        for k in ('RANK', 'WORLD_SIZE'):
            os.environ.pop(k, None)
        try:
            init_dist('pytorch')
        finally:
            os.environ.clear()
            os.environ.update(env)
