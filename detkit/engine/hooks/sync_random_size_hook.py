"""SyncRandomSizeHook: one random input size per epoch for all processes (MMDetection 2.x)."""

from __future__ import annotations

import random
import warnings
from typing import Any, Optional, Union

import torch
import torch.distributed as dist

from ...registry import HOOKS
from ..dist_utils import get_dist_info
from .hook import Hook


@HOOKS.register_module()
class SyncRandomSizeHook(Hook):
    """Every ``interval`` epochs rank 0 draws ``s`` in ``ratio_range`` and every process
    sets ``dataset.update_dynamic_scale((32 * s, 32 * int(s * h / w)))``.

    Deprecated in MMDetection 2.x in favour of a multi-scale ``Resize``; kept so old
    YOLOX configs run.

    Args:
        ratio_range (tuple[int]): range of ``s`` (inclusive), in units of 32 pixels.
        img_scale (tuple[int]): (w, h) whose aspect ratio the sizes keep.
        interval (int): epochs between changes.
        device (str | torch.device, optional): where the broadcast tensor lives
            (default: cuda for nccl, else cpu).
    """

    def __init__(
        self,
        ratio_range: Optional[tuple] = (14, 26),
        img_scale: tuple = (640, 640),
        interval: int = 1,
        device: Union[str, torch.device, None] = None,
    ):
        warnings.warn(
            'DeprecationWarning: SyncRandomSizeHook is deprecated. Please use Resize '
            "pipeline to achieve similar functions, e.g. dict(type='Resize', "
            "img_scale=[(448, 448), (832, 832)], multiscale_mode='range', keep_ratio=True)",
            stacklevel=2,
        )
        self.ratio_range = ratio_range
        self.img_scale = img_scale
        self.interval = interval
        self.device = device

    def after_train_epoch(self, runner: Any) -> None:
        if self.ratio_range is None or (runner.epoch + 1) % self.interval != 0:
            return
        rank, world_size = get_dist_info()
        device = self.device
        if device is None:
            device = 'cuda' if world_size > 1 and dist.get_backend() == 'nccl' else 'cpu'
        size = torch.zeros(2, dtype=torch.long, device=device)
        if rank == 0:
            factor = self.img_scale[1] / self.img_scale[0]
            s = random.randint(*self.ratio_range)
            size[0], size[1] = int(32 * s), 32 * int(s * factor)
        if world_size > 1:
            dist.broadcast(size, 0)
        runner.data_loader.dataset.update_dynamic_scale((int(size[0]), int(size[1])))
