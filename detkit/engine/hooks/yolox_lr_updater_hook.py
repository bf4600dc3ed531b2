"""YOLOXLrUpdaterHook: MMDetection 2.x's YOLOX schedule (``policy='YOLOX'``)."""

from __future__ import annotations

from typing import Any, Union

from ...registry import HOOKS
from ._anneal_target import target_value
from .cosine_annealing_lr_updater_hook import CosineAnnealingLrUpdaterHook
from .lr_updater_hook import annealing_cos


@HOOKS.register_module()
class YOLOXLrUpdaterHook(CosineAnnealingLrUpdaterHook):
    """Quadratic warmup, cosine annealing, then a flat lr for the last epochs.

    - warmup (whatever ``warmup`` says):
      ``lr = base_lr * warmup_ratio * ((i + 1) / warmup_iters) ** 2``
    - then ``annealing_cos(base_lr, target, t)`` with
      ``t = (p + 1 - warmup_iters) / (max_p - warmup_iters - last)``
    - from ``p + 1 >= max_p - last``: ``lr = target``

    where ``p`` is the iteration (``by_epoch=False``) and
    ``last = num_last_epochs * len(data_loader)``.

    Args:
        num_last_epochs (int): epochs at the end with a fixed lr (no strong augmentation).
        **kwargs: CosineAnnealingLrUpdaterHook arguments.
    """

    def __init__(self, num_last_epochs: int, **kwargs: Any):
        self.num_last_epochs = num_last_epochs
        super().__init__(**kwargs)

    def get_warmup_lr(self, cur_iters: int) -> Union[list, dict]:
        # YOLOX warms up from base_lr with its own quadratic ramp, whatever the warmup type
        k = self.warmup_ratio * ((cur_iters + 1) / float(self.warmup_iters)) ** 2
        if isinstance(self.base_lr, dict):
            return {key: [lr * k for lr in v] for key, v in self.base_lr.items()}
        return [lr * k for lr in self.base_lr]

    def get_lr(self, runner: Any, base_lr: float) -> float:
        last_iter = len(runner.data_loader) * self.num_last_epochs
        if self.by_epoch:
            progress, max_progress = runner.epoch, runner.max_epochs
        else:
            progress, max_progress = runner.iter, runner.max_iters
        progress += 1
        target = target_value(base_lr, self.min_lr, self.min_lr_ratio)
        if progress >= max_progress - last_iter:
            return target
        return annealing_cos(
            base_lr,
            target,
            (progress - self.warmup_iters) / (max_progress - self.warmup_iters - last_iter),
        )
