"""Two gloo processes: reductions, result collection, DDP, distributed evaluation.

The processes are forked (torch.multiprocessing.start_processes), not spawned:
a spawned child re-imports torch and, for DDP, torch._dynamo, which takes
15-30 s on a loaded 2-core machine; a forked child inherits them. Each child
uses one intra-op thread, so no OpenMP pool crosses the fork.
"""

import json
import logging
import os
import socket
from collections import OrderedDict

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.utils.data import DataLoader, DistributedSampler

from detkit.engine import (
    DistEvalHook,
    EpochBasedRunner,
    SyncBuffersHook,
    SyncNormHook,
    all_reduce_dict,
    collect_results_cpu,
    collect_results_gpu,
    get_dist_info,
    init_dist,
    master_only,
    reduce_mean,
    run_inference_dist,
    sync_random_seed,
    wrap_ddp,
)

from ._toy import ToyDataset, ToyModel

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
    torch.set_num_threads(1)
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
    buf_model = torch.nn.Module()
    buf_model.register_buffer('stat', torch.tensor([float(rank)]))
    SyncBuffersHook().after_train_epoch(type('R2', (), {'model': buf_model}))
    out['buffer'] = buf_model.stat.item()
    count = bn_model[0].num_batches_tracked
    out['bn_count'] = (int(count), str(count.dtype))
    # inference over a DistributedSampler: rank 0 gets every prediction in dataset order
    ds = ToyDataset(5)
    loader = DataLoader(
        ds, batch_size=2, sampler=DistributedSampler(ds, WORLD, rank, shuffle=False)
    )
    for key, kwargs in (
        ('infer_gpu', dict(gpu_collect=True)),
        ('infer_cpu', dict(tmpdir=os.path.join(tmpdir, 'infer'))),
    ):
        res = run_inference_dist(ddp, loader, **kwargs)
        out[key] = None if res is None else [float(r) for r in res]
    # DistEvalHook inside a runner: only rank 0 evaluates, on all 5 results
    runner = EpochBasedRunner(
        ddp,
        torch.optim.SGD(model.parameters(), lr=0.0),
        max_epochs=1,
        work_dir=tmpdir,
        logger=logging.getLogger('detkit.dist_test'),
        meta={},
    )
    hook = DistEvalHook(loader, save_best='mse', rule='less', gpu_collect=True)
    runner.register_hook(hook, 'LOW')
    runner.run([loader], [('train', 1)])
    out['evaluated'] = [len(r) for r in ds.evaluated]
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
    import torch._dynamo  # noqa: F401  (DDP imports it; load it once, before forking)

    mp.start_processes(
        _worker, args=(_free_port(), tmpdir), nprocs=WORLD, join=True, start_method='fork'
    )
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


def test_distributed_inference_and_eval_hook(results):
    outs, tmpdir = results
    torch.manual_seed(0)
    model = ToyModel()
    with torch.no_grad():
        expected = model.linear(ToyDataset(5).x).flatten().tolist()
    assert outs[0]['infer_gpu'] == pytest.approx(expected, abs=1e-6)
    assert outs[0]['infer_cpu'] == pytest.approx(expected, abs=1e-6)
    assert outs[1]['infer_gpu'] is None and outs[1]['infer_cpu'] is None
    assert outs[0]['evaluated'] == [5] and outs[1]['evaluated'] == []
    assert os.path.exists(os.path.join(tmpdir, 'best_mse_epoch_1.pth'))


def test_sync_norm_and_master_only(results):
    outs, tmpdir = results
    assert outs[0]['bn'] == outs[1]['bn'] == [0.5, 0.5]
    assert outs[0]['bn_count'] == [3, 'torch.int64']
    assert outs[0]['buffer'] == outs[1]['buffer'] == 0.5  # SyncBuffersHook
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


@pytest.fixture
def clean_env(monkeypatch):
    for k in ('RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(k, raising=False)
    calls = []
    monkeypatch.setattr(dist, 'init_process_group', lambda **kw: calls.append(kw))
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    return calls


def test_init_dist_slurm_environment(clean_env, monkeypatch):
    import detkit.engine.dist_utils as du

    monkeypatch.setenv('SLURM_PROCID', '3')
    monkeypatch.setenv('SLURM_NTASKS', '4')
    monkeypatch.setenv('SLURM_NODELIST', 'node[1-2]')
    monkeypatch.setattr(du.subprocess, 'getoutput', lambda cmd: 'node1')
    init_dist('slurm', port=29555)
    assert clean_env == [dict(backend='gloo')]
    env = {
        k: os.environ[k] for k in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT')
    }
    assert env == dict(
        RANK='3', WORLD_SIZE='4', LOCAL_RANK='0', MASTER_ADDR='node1', MASTER_PORT='29555'
    )


def test_init_dist_mpi_environment(clean_env, monkeypatch):
    monkeypatch.setenv('OMPI_COMM_WORLD_LOCAL_RANK', '1')
    monkeypatch.setenv('OMPI_COMM_WORLD_SIZE', '2')
    monkeypatch.setenv('OMPI_COMM_WORLD_RANK', '1')
    monkeypatch.setenv('MASTER_ADDR', '10.0.0.1')
    init_dist('mpi', backend='gloo', timeout=None)
    assert clean_env == [dict(backend='gloo', timeout=None)]
    assert (os.environ['RANK'], os.environ['WORLD_SIZE'], os.environ['MASTER_PORT']) == (
        '1',
        '2',
        '29500',
    )
