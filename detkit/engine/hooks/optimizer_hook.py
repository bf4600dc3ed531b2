"""OptimizerHook: backward, optional gradient clipping, optimizer step (mmcv 1.x)."""

from __future__ import annotations

import logging
from typing import Any, Iterable, Optional

import torch
from torch.nn.utils import clip_grad_norm_

from ...registry import HOOKS
from .hook import Hook


@HOOKS.register_module()
class OptimizerHook(Hook):
    """Zero the gradients, back-propagate ``runner.outputs['loss']``, clip, step.

    Args:
        grad_clip (dict, optional): arguments of ``torch.nn.utils.clip_grad_norm_``,
            e.g. ``dict(max_norm=35, norm_type=2)``; the total norm before
            clipping is logged as ``grad_norm``.
        detect_anomalous_params (bool): log the parameters that require grad
            but are not in the loss's graph (slow; for debugging DDP's
            "unused parameters" errors).
    """

    def __init__(self, grad_clip: Optional[dict] = None, detect_anomalous_params: bool = False):
        if grad_clip is not None and not isinstance(grad_clip, dict):
            raise TypeError(
                'grad_clip must be None or a dict(max_norm=..., norm_type=2), '
                f'but got {type(grad_clip).__name__}'
            )
        self.grad_clip = grad_clip
        self.detect_anomalous_params = detect_anomalous_params

    def clip_grads(self, params: Iterable[torch.nn.Parameter]) -> Optional[torch.Tensor]:
        """Clip the gradients of ``params`` in place; returns their total norm (None if none)."""
        params = [p for p in params if p.requires_grad and p.grad is not None]
        if params:
            return clip_grad_norm_(params, **self.grad_clip)  # type: ignore[arg-type]
        return None

    def _clip_and_log(self, runner: Any) -> None:
        if self.grad_clip is None:
            return
        grad_norm = self.clip_grads(runner.model.parameters())
        if grad_norm is not None:
            runner.log_buffer.update({'grad_norm': float(grad_norm)}, runner.outputs['num_samples'])

    def after_train_iter(self, runner: Any) -> None:
        runner.optimizer.zero_grad()
        if self.detect_anomalous_params:
            self.detect_anomalous_parameters(runner.outputs['loss'], runner)
        runner.outputs['loss'].backward()
        self._clip_and_log(runner)
        runner.optimizer.step()

    @staticmethod
    def detect_anomalous_parameters(loss: torch.Tensor, runner: Any) -> list:
        """Names of parameters that require grad but do not reach ``loss``; logged as errors."""
        reached = set()
        seen = set()
        stack = [loss.grad_fn] if loss.grad_fn is not None else []
        while stack:
            fn = stack.pop()
            if fn is None or fn in seen:
                continue
            seen.add(fn)
            if hasattr(fn, 'variable'):  # AccumulateGrad: a leaf, i.e. a parameter
                reached.add(id(fn.variable))
            stack.extend(next_fn for next_fn, _ in fn.next_functions)
        missing = []
        for name, p in runner.model.named_parameters():
            if p.requires_grad and id(p) not in reached:
                missing.append(name)
                runner.logger.log(
                    logging.ERROR,
                    f'{name} with shape {tuple(p.shape)} is not in the computational graph',
                )
        return missing
