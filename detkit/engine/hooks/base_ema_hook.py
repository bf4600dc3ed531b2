"""BaseEMAHook: an exponential moving average of the model's weights (MMDetection 2.x)."""

from __future__ import annotations

from typing import Any, Callable, Optional

import torch

from ...registry import HOOKS
from ..utils import unwrap_model
from .hook import Hook


def ema_update(pairs: list, momentum: float) -> None:
    """``ema = (1 - momentum) * ema + momentum * value`` for every (ema, value) pair, in place.

    One fused multi-tensor update per dtype/device instead of a kernel pair per tensor.
    """
    if not pairs:
        return
    emas, values = [e for e, _ in pairs], [v for _, v in pairs]
    torch._foreach_mul_(emas, 1 - momentum)
    torch._foreach_add_(emas, values, alpha=momentum)


@HOOKS.register_module()
class BaseEMAHook(Hook):
    """Keep ``ema = (1 - m) * ema + m * param`` every ``interval`` iterations.

    The averages live in the model as buffers named ``ema_<name with '.'
    replaced by '_'>`` (e.g. ``ema_backbone_conv1_weight``), so they are saved
    in and resumed from checkpoints under MMDetection's key names. Training
    epochs run on the raw weights; outside them (evaluation, the checkpoint
    saved after an epoch) the model holds the EMA weights: the two are
    swapped at the start and end of each training epoch.

    Args:
        momentum (float): ``m``, the weight of the newest parameters, in (0, 1).
        interval (int): update every ``interval`` iterations.
        skip_buffers (bool): average parameters only (else buffers too, such
            as BatchNorm statistics; integer buffers are copied, not averaged).
        resume_from (str, optional): a checkpoint to resume from after the
            EMA buffers exist.
        momentum_fun (callable, optional): ``iter -> momentum``, overriding ``momentum``.
    """

    def __init__(
        self,
        momentum: float = 0.0002,
        interval: int = 1,
        skip_buffers: bool = False,
        resume_from: Optional[str] = None,
        momentum_fun: Optional[Callable[[int], float]] = None,
    ):
        if not 0 < momentum < 1:
            raise ValueError(
                f'{type(self).__name__}: momentum must be in (0, 1), but got {momentum}'
            )
        self.momentum = momentum
        self.interval = interval
        self.skip_buffers = skip_buffers
        self.checkpoint = resume_from
        self.momentum_fun = momentum_fun

    def before_run(self, runner: Any) -> None:
        model = unwrap_model(runner.model)
        self.param_ema_buffer = {}
        if self.skip_buffers:
            self.model_parameters = dict(model.named_parameters())
        else:
            self.model_parameters = model.state_dict(keep_vars=True)
        for name, value in self.model_parameters.items():
            buffer_name = f'ema_{name.replace(".", "_")}'  # buffer names cannot hold '.'
            self.param_ema_buffer[name] = buffer_name
            if not hasattr(model, buffer_name):
                model.register_buffer(buffer_name, value.data.clone())
        self.model_buffers = dict(model.named_buffers())
        if self.checkpoint is not None:
            runner.resume(self.checkpoint)

    def get_momentum(self, runner: Any) -> float:
        return self.momentum_fun(runner.iter) if self.momentum_fun else self.momentum

    def after_train_iter(self, runner: Any) -> None:
        if (runner.iter + 1) % self.interval != 0:
            return
        # num_batches_tracked is a counter, not averaged
        pairs = [
            (self.model_buffers[self.param_ema_buffer[name]], p.detach())
            for name, p in self.model_parameters.items()
            if p.dtype.is_floating_point
        ]
        ema_update(pairs, self.get_momentum(runner))

    def _swap_ema_parameters(self) -> None:
        for name, value in self.model_parameters.items():
            ema = self.model_buffers[self.param_ema_buffer[name]]
            temp = value.data.clone()
            value.data.copy_(ema.data)
            ema.data.copy_(temp)

    def after_train_epoch(self, runner: Any) -> None:
        self._swap_ema_parameters()  # evaluate and save with the EMA weights

    def before_train_epoch(self, runner: Any) -> None:
        self._swap_ema_parameters()  # back to the raw weights to train
