"""Distributed helpers: process-group setup, rank info, reductions, result collection.

Runs on nccl (CUDA) and gloo (CPU): one process per device, started by
``torchrun`` (``launcher='pytorch'``), slurm or MPI.
"""

from __future__ import annotations

import functools
import inspect
import os
import os.path as osp
import pickle
import shutil
import subprocess
import tempfile
from collections import OrderedDict
from typing import Any, Callable, Optional

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn

from ..utils.suggest import did_you_mean

LAUNCHERS = ('pytorch', 'slurm', 'mpi')


def _default_backend() -> str:
    return 'nccl' if torch.cuda.is_available() else 'gloo'


def init_dist(launcher: str, backend: Optional[str] = None, **kwargs: Any) -> None:
    """Initialise the default process group from the launcher's environment.

    Args:
        launcher (str): 'pytorch' (torchrun: RANK, LOCAL_RANK, WORLD_SIZE,
            MASTER_ADDR, MASTER_PORT), 'slurm' (SLURM_PROCID, SLURM_NTASKS,
            SLURM_NODELIST) or 'mpi' (OMPI_COMM_WORLD_*).
        backend (str, optional): 'nccl' or 'gloo'; None picks nccl when CUDA
            is available, else gloo.
        **kwargs: passed to ``init_process_group`` (slurm: ``port``).
    """
    if launcher not in LAUNCHERS:
        raise ValueError(
            f'invalid launcher {launcher!r}{did_you_mean(launcher, LAUNCHERS)}; '
            f'accepted: {", ".join(LAUNCHERS)}'
        )
    if backend is None:
        backend = _default_backend()
    if launcher == 'pytorch':
        _require_env('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT', launcher=launcher)
        local_rank = int(os.environ.get('LOCAL_RANK', os.environ['RANK']))
    elif launcher == 'mpi':
        _require_env(
            'OMPI_COMM_WORLD_LOCAL_RANK',
            'OMPI_COMM_WORLD_SIZE',
            'OMPI_COMM_WORLD_RANK',
            'MASTER_ADDR',
            launcher=launcher,
        )
        local_rank = int(os.environ['OMPI_COMM_WORLD_LOCAL_RANK'])
        os.environ.setdefault('MASTER_PORT', '29500')
        os.environ['WORLD_SIZE'] = os.environ['OMPI_COMM_WORLD_SIZE']
        os.environ['RANK'] = os.environ['OMPI_COMM_WORLD_RANK']
    else:
        _require_env('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST', launcher=launcher)
        proc_id = int(os.environ['SLURM_PROCID'])
        num_gpus = max(torch.cuda.device_count(), 1)
        local_rank = proc_id % num_gpus
        port = kwargs.pop('port', None)
        if port is not None:
            os.environ['MASTER_PORT'] = str(port)
        os.environ.setdefault('MASTER_PORT', '29500')
        if 'MASTER_ADDR' not in os.environ:
            node_list = os.environ['SLURM_NODELIST']
            os.environ['MASTER_ADDR'] = subprocess.getoutput(
                f'scontrol show hostname {node_list} | head -n1'
            )
        os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
        os.environ['LOCAL_RANK'] = str(local_rank)
        os.environ['RANK'] = str(proc_id)
    if backend == 'nccl':
        torch.cuda.set_device(local_rank % torch.cuda.device_count())
    dist.init_process_group(backend=backend, **kwargs)


def _require_env(*names: str, launcher: str) -> None:
    missing = [n for n in names if n not in os.environ]
    if missing:
        raise KeyError(
            f'init_dist(launcher={launcher!r}) needs the environment variable(s) '
            f'{", ".join(missing)}; start the job with '
            + ('torchrun' if launcher == 'pytorch' else launcher)
        )


def get_dist_info() -> tuple[int, int]:
    """``(rank, world_size)``; ``(0, 1)`` when no process group is initialised."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def master_only(func: Callable) -> Callable:
    """Decorate ``func`` to run on rank 0 only (other ranks get None)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        rank, _ = get_dist_info()
        if rank == 0:
            return func(*args, **kwargs)
        return None

    return wrapper


def reduce_mean(tensor: torch.Tensor) -> torch.Tensor:
    """The mean of ``tensor`` over all processes (a copy; unchanged without a group)."""
    if not (dist.is_available() and dist.is_initialized()):
        return tensor
    tensor = tensor.clone()
    dist.all_reduce(tensor.div_(dist.get_world_size()), op=dist.ReduceOp.SUM)
    return tensor


def all_reduce_dict(
    py_dict: dict, op: str = 'sum', group: Any = None, to_float: bool = True
) -> dict:
    """Sum (or average, ``op='mean'``) a dict of tensors over all processes.

    All tensors travel in one flat buffer, in rank 0's key order (so ranks
    whose dicts were built in different orders agree).

    Args:
        py_dict (dict[str, Tensor]): same keys and shapes on every process.
        op (str): 'sum' or 'mean'.
        group: process group (default: the global group).
        to_float (bool): reduce in float32 (integer counters stay exact up to 2**24).

    Returns:
        dict[str, Tensor]: same type (dict / OrderedDict), keys and shapes.
    """
    if op not in ('sum', 'mean'):
        raise ValueError(f"all_reduce_dict: op must be 'sum' or 'mean', but got {op!r}")
    _, world_size = get_dist_info()
    if world_size == 1:
        return py_dict
    keys = [list(py_dict.keys())]
    dist.broadcast_object_list(keys, src=0, group=group)
    keys = keys[0]
    shapes = [py_dict[k].shape for k in keys]
    numels = [py_dict[k].numel() for k in keys]
    flat = torch.cat(
        [py_dict[k].flatten().float() if to_float else py_dict[k].flatten() for k in keys]
    )
    dist.all_reduce(flat, op=dist.ReduceOp.SUM, group=group)
    if op == 'mean':
        flat /= dist.get_world_size(group)
    parts = [x.reshape(s) for x, s in zip(torch.split(flat, numels), shapes)]
    out = dict(zip(keys, parts))
    return OrderedDict(out) if isinstance(py_dict, OrderedDict) else out


def sync_random_seed(seed: Optional[int] = None, device: Any = None) -> int:
    """A seed every process agrees on (rank 0's), e.g. for a sampler's shuffling.

    Args:
        seed (int, optional): rank 0's seed; random if None.
        device: where the broadcast tensor lives (default: cuda for nccl, else cpu).
    """
    if seed is None:
        seed = int(np.random.randint(2**31))
    assert isinstance(seed, int), f'seed must be an int, but got {type(seed).__name__}'
    rank, world_size = get_dist_info()
    if world_size == 1:
        return seed
    if device is None:
        device = 'cuda' if dist.get_backend() == 'nccl' else 'cpu'
    random_num = torch.tensor(seed if rank == 0 else 0, dtype=torch.int32, device=device)
    dist.broadcast(random_num, src=0)
    return int(random_num.item())


class DetDistributedDataParallel(nn.parallel.DistributedDataParallel):
    """DDP that also synchronises gradients for ``train_step`` / ``val_step``.

    DDP only prepares its gradient all-reduce when the model is called
    through ``DDP.forward``. The runner calls ``model.train_step(data,
    optimizer)``, so these methods route the call through ``forward`` with
    the inner module's ``forward`` temporarily pointing at its step method.
    """

    def train_step(self, *args: Any, **kwargs: Any) -> Any:
        return self._through_forward('train_step', *args, **kwargs)

    def val_step(self, *args: Any, **kwargs: Any) -> Any:
        return self._through_forward('val_step', *args, **kwargs)

    def _through_forward(self, method: str, *args: Any, **kwargs: Any) -> Any:
        module = self.module
        step = getattr(module, method)

        def call_step(*a: Any, **kw: Any) -> Any:
            # the step itself calls module(**data): that call must reach the real forward
            module.__dict__.pop('forward', None)
            return step(*a, **kw)

        module.forward = call_step  # an instance attribute shadows the class's
        try:
            return self(*args, **kwargs)
        finally:
            module.__dict__.pop('forward', None)


def wrap_ddp(
    model: nn.Module, device: Any = None, find_unused_parameters: bool = False, **kwargs: Any
) -> DetDistributedDataParallel:
    """Wrap ``model`` for distributed training on ``device``.

    CUDA: the model moves to the device and DDP gets ``device_ids=[index]``;
    CPU (gloo): plain ``DistributedDataParallel(model)`` without device ids.
    Buffers are not broadcast every forward (BatchNorm statistics stay per
    process, as in MMDetection; SyncNormHook / DistEvalHook reconcile them).
    """
    device = torch.device(device) if device is not None else torch.device('cpu')
    if not any(k in kwargs for k in ('broadcast_buffers', 'forward_sync_buffers')):
        # buffers are not re-synced every forward (MMDetection's broadcast_buffers=False);
        # newer torch spells this forward_sync_buffers (which still syncs once at init)
        params = inspect.signature(nn.parallel.DistributedDataParallel).parameters
        kwargs[
            'forward_sync_buffers' if 'forward_sync_buffers' in params else 'broadcast_buffers'
        ] = False
    if device.type == 'cuda':
        index = device.index if device.index is not None else torch.cuda.current_device()
        model = model.to(torch.device('cuda', index))
        return DetDistributedDataParallel(
            model,
            device_ids=[index],
            output_device=index,
            find_unused_parameters=find_unused_parameters,
            **kwargs,
        )
    return DetDistributedDataParallel(
        model.to(device), find_unused_parameters=find_unused_parameters, **kwargs
    )


def _interleave(part_list: list, size: int) -> list:
    # DistributedSampler gives rank r the samples r, r + W, r + 2W, ... (padded
    # to equal lengths), so reading the parts round-robin restores dataset order
    ordered = []
    for res in zip(*part_list):
        ordered.extend(res)
    return ordered[:size]


def collect_results_cpu(
    result_part: list, size: int, tmpdir: Optional[str] = None
) -> Optional[list]:
    """Gather every process's results through files; rank 0 gets them in dataset order.

    Args:
        result_part (list): this process's results, in its sampler's order.
        size (int): the dataset length (drops the sampler's padding).
        tmpdir (str, optional): a folder all processes can reach; a fresh one
            under ``.dist_test`` (made by rank 0, broadcast) if None.

    Returns:
        list | None: all results in dataset order on rank 0, None elsewhere.
    """
    rank, world_size = get_dist_info()
    if world_size == 1:
        return list(result_part)[:size]
    if tmpdir is None:
        holder = [None]
        if rank == 0:
            os.makedirs('.dist_test', exist_ok=True)
            holder = [tempfile.mkdtemp(dir='.dist_test')]
        dist.broadcast_object_list(holder, src=0)
        tmpdir = holder[0]
    else:
        os.makedirs(tmpdir, exist_ok=True)
    with open(osp.join(tmpdir, f'part_{rank}.pkl'), 'wb') as f:
        pickle.dump(result_part, f, protocol=pickle.HIGHEST_PROTOCOL)
    dist.barrier()
    if rank != 0:
        return None
    part_list = []
    for i in range(world_size):
        with open(osp.join(tmpdir, f'part_{i}.pkl'), 'rb') as f:
            part_list.append(pickle.load(f))  # our own files, written just above
    shutil.rmtree(tmpdir)
    return _interleave(part_list, size)


def collect_results_gpu(result_part: list, size: int) -> Optional[list]:
    """Gather every process's results through the process group (works on gloo too).

    Returns:
        list | None: all results in dataset order on rank 0, None elsewhere.
    """
    rank, world_size = get_dist_info()
    if world_size == 1:
        return list(result_part)[:size]
    part_list: list = [None] * world_size
    dist.all_gather_object(part_list, result_part)
    if rank != 0:
        return None
    return _interleave(part_list, size)
