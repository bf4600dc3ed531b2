"""Seeding: ``set_random_seed`` and ``init_random_seed`` (MMDetection 2.x API)."""

from __future__ import annotations

import random
from typing import Optional, Union

import numpy as np
import torch

from .dist_utils import get_dist_info


def set_random_seed(seed: int, deterministic: bool = False) -> None:
    """Seed python's ``random``, numpy and torch (all devices).

    Args:
        seed (int): the seed.
        deterministic (bool): also make cuDNN deterministic (and disable its
            benchmark mode), at a speed cost.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    if deterministic:
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False


def init_random_seed(seed: Optional[int] = None, device: Union[str, torch.device] = 'cpu') -> int:
    """``seed`` if given, else a random seed that all processes agree on.

    In a distributed run rank 0 draws the seed and broadcasts it, so every
    process shuffles and augments from the same seed (each process then adds
    its rank where it needs different streams).

    Args:
        seed (int, optional): returned unchanged if not None.
        device (str | torch.device): where the broadcast tensor lives; must be
            'cuda' for the nccl backend, may be 'cpu' for gloo.
    """
    if seed is not None:
        return seed
    seed = int(np.random.randint(2**31))
    rank, world_size = get_dist_info()
    if world_size == 1:
        return seed
    import torch.distributed as dist

    random_num = torch.tensor(seed if rank == 0 else 0, dtype=torch.int32, device=device)
    dist.broadcast(random_num, src=0)
    return int(random_num.item())
