"""GradientCumulativeOptimizerHook: one optimizer step per ``cumulative_iters`` batches."""

from __future__ import annotations

from typing import Any

import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...registry import HOOKS
from .optimizer_hook import OptimizerHook


@HOOKS.register_module()
class GradientCumulativeOptimizerHook(OptimizerHook):
    """Accumulate gradients over ``cumulative_iters`` iterations, then step (mmcv 1.x).

    Each loss is divided by the number of iterations in its accumulation
    window, so the step sees the mean gradient. When the remaining iterations
    are not divisible by ``cumulative_iters``, the last (shorter) window
    divides by its own length and still ends with a step at the last iteration.

    Args:
        cumulative_iters (int): iterations per optimizer step.
        **kwargs: ``grad_clip``, ``detect_anomalous_params`` of OptimizerHook.
    """

    def __init__(self, cumulative_iters: int = 1, **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(cumulative_iters, int) or cumulative_iters <= 0:
            raise ValueError(
                f'cumulative_iters must be a positive int, but got {cumulative_iters!r}'
            )
        self.cumulative_iters = cumulative_iters
        self.divisible_iters = 0  # absolute iteration where the shorter tail window starts
        self.remainder_iters = 0
        self.initialized = False

    @staticmethod
    def has_batch_norm(module: nn.Module) -> bool:
        return any(isinstance(m, _BatchNorm) for m in module.modules())

    def _init(self, runner: Any) -> None:
        if runner.iter % self.cumulative_iters != 0:
            runner.logger.warning(
                'Resume iter number is not divisible by cumulative_iters in '
                'GradientCumulativeOptimizerHook, which means the gradient of some iters is '
                'lost and the result may be influenced slightly.'
            )
        if self.has_batch_norm(runner.model) and self.cumulative_iters > 1:
            runner.logger.warning(
                'GradientCumulativeOptimizerHook may slightly decrease '
                'performance if the model has BatchNorm layers.'
            )
        residual = runner.max_iters - runner.iter
        whole = residual // self.cumulative_iters * self.cumulative_iters
        self.divisible_iters = runner.iter + whole
        self.remainder_iters = residual % self.cumulative_iters
        self.initialized = True

    def after_train_iter(self, runner: Any) -> None:
        if not self.initialized:
            self._init(runner)
        factor = (
            self.cumulative_iters if runner.iter < self.divisible_iters else self.remainder_iters
        )
        self._backward(runner.outputs['loss'] / factor)
        if self.every_n_iters(runner, self.cumulative_iters) or self.is_last_iter(runner):
            self._step(runner)
            runner.optimizer.zero_grad()

    def _backward(self, loss: Any) -> None:
        loss.backward()

    def _step(self, runner: Any) -> None:
        self._clip_and_log(runner)
        runner.optimizer.step()
