"""(rank, world size) of this process; (0, 1) outside torch.distributed."""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch
import torch.distributed as dist


def get_dist_info() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def resolve(num_replicas: Optional[int], rank: Optional[int]) -> tuple[int, int]:
    """Fill in ``num_replicas`` / ``rank`` from the process group and check them."""
    r, w = get_dist_info()
    num_replicas = w if num_replicas is None else num_replicas
    rank = r if rank is None else rank
    if not 0 <= rank < num_replicas:
        raise ValueError(f'rank must be in [0, {num_replicas}), but got {rank}')
    return num_replicas, rank


def sync_random_seed(seed: Optional[int] = None) -> int:
    """A seed shared by all ranks: ``seed``, or (None) rank 0's random draw, broadcast.

    Distributed samplers must shuffle identically on every rank so that the
    ranks take disjoint slices of one permutation.
    """
    if seed is None:
        seed = int(np.random.randint(2**31))
    rank, world_size = get_dist_info()
    if world_size == 1:
        return seed
    device = 'cuda' if dist.get_backend() == 'nccl' else 'cpu'
    t = torch.tensor(seed if rank == 0 else 0, dtype=torch.int64, device=device)
    dist.broadcast(t, src=0)
    return int(t.item())
