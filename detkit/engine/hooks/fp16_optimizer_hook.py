"""Fp16OptimizerHook: mixed precision from ``fp16 = dict(loss_scale=...)``."""

from __future__ import annotations

from typing import Any, Optional, Union

import torch

from ...registry import HOOKS
from ..utils import model_device
from .optimizer_hook import OptimizerHook


@HOOKS.register_module()
class Fp16OptimizerHook(OptimizerHook):
    """Run forward passes under autocast; scale the loss on CUDA.

    On CUDA the forward runs in float16 under ``torch.autocast`` and the loss
    goes through a ``GradScaler`` (``loss_scale``: a number for a static scale,
    'dynamic', or a dict of GradScaler arguments); the scaler's state is
    kept in ``runner.meta['fp16']['loss_scaler']`` so it is checkpointed and
    resumed. On CPU the forward runs in bfloat16, whose float32-sized exponent
    needs no loss scaling. Parameters, gradients and the optimizer stay float32.

    The hook asks the runner to autocast by setting ``runner.autocast`` in
    ``before_run``; the runner wraps ``train_step``/``val_step`` in it.

    Args:
        grad_clip (dict, optional): as in OptimizerHook (clipping sees unscaled grads).
        coalesce, bucket_size_mb: accepted for MMDetection configs; DDP
            already buckets gradient all-reduces.
        loss_scale (float | str | dict): see above. Default 512.
        distributed (bool): accepted for MMDetection's train_detector.
    """

    def __init__(
        self,
        grad_clip: Optional[dict] = None,
        coalesce: bool = True,
        bucket_size_mb: int = -1,
        loss_scale: Union[float, str, dict] = 512.0,
        distributed: bool = True,
    ):
        super().__init__(grad_clip=grad_clip)
        self._scale_update_param: Optional[float] = None
        if loss_scale == 'dynamic':
            self._scaler_args: dict = {}
        elif isinstance(loss_scale, (int, float)) and not isinstance(loss_scale, bool):
            self._scaler_args = dict(init_scale=float(loss_scale))
            # mmcv: a number is a static scale, put back after every update
            self._scale_update_param = float(loss_scale)
        elif isinstance(loss_scale, dict):
            self._scaler_args = dict(loss_scale)
        else:
            raise ValueError(
                "loss_scale must be a float, 'dynamic' or a dict of GradScaler "
                f'arguments, but got {loss_scale!r}'
            )
        self.coalesce = coalesce
        self.bucket_size_mb = bucket_size_mb
        self.distributed = distributed
        self.loss_scaler: Optional[torch.amp.GradScaler] = None

    def before_run(self, runner: Any) -> None:
        device = model_device(runner.model)
        if device.type == 'cuda':
            runner.autocast = dict(device_type='cuda', dtype=torch.float16)
            self.loss_scaler = torch.amp.GradScaler('cuda', **self._scaler_args)
            state = (runner.meta or {}).get('fp16', {}).get('loss_scaler')
            if state is not None:
                self.loss_scaler.load_state_dict(state)
        else:
            runner.autocast = dict(device_type=device.type, dtype=torch.bfloat16)
            self.loss_scaler = None

    def after_train_iter(self, runner: Any) -> None:
        runner.model.zero_grad()
        runner.optimizer.zero_grad()
        self.backward(runner.outputs['loss'])
        self.step(runner)

    def backward(self, loss: Any) -> None:
        """Back-propagate ``loss``, scaled when a GradScaler is in use."""
        if self.loss_scaler is None:
            loss.backward()
        else:
            self.loss_scaler.scale(loss).backward()

    def step(self, runner: Any) -> None:
        """Unscale, clip (logging grad_norm) and step; update and checkpoint the scaler."""
        if self.loss_scaler is None:
            self._clip_and_log(runner)
            runner.optimizer.step()
            return
        self.loss_scaler.unscale_(runner.optimizer)
        self._clip_and_log(runner)
        self.loss_scaler.step(runner.optimizer)  # skipped if the grads hold inf/nan
        self.loss_scaler.update(self._scale_update_param)
        if runner.meta is None:
            runner.meta = {}
        runner.meta.setdefault('fp16', {})['loss_scaler'] = self.loss_scaler.state_dict()
