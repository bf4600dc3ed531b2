"""(rank, world size) of this process; (0, 1) outside torch.distributed."""
from __future__ import annotations

from typing import Optional

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
