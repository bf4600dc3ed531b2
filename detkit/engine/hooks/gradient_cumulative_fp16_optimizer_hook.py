"""GradientCumulativeFp16OptimizerHook: gradient accumulation with mixed precision (mmcv 1.x)."""

from __future__ import annotations

from typing import Any, Optional, Union

from ...registry import HOOKS
from .fp16_optimizer_hook import Fp16OptimizerHook
from .gradient_cumulative_optimizer_hook import GradientCumulativeOptimizerHook


@HOOKS.register_module()
class GradientCumulativeFp16OptimizerHook(GradientCumulativeOptimizerHook):
    """Accumulate ``cumulative_iters`` iterations (as GradientCumulativeOptimizerHook)
    with forward passes under autocast and a GradScaler on CUDA (as Fp16OptimizerHook).

    Args:
        cumulative_iters (int): iterations per optimizer step.
        grad_clip (dict, optional): clipping of the unscaled, accumulated gradients.
        loss_scale (float | str | dict): see Fp16OptimizerHook.
        coalesce, bucket_size_mb, distributed: accepted for MMDetection configs.
    """

    def __init__(
        self,
        cumulative_iters: int = 1,
        grad_clip: Optional[dict] = None,
        coalesce: bool = True,
        bucket_size_mb: int = -1,
        loss_scale: Union[float, str, dict] = 512.0,
        distributed: bool = True,
    ):
        super().__init__(cumulative_iters=cumulative_iters, grad_clip=grad_clip)
        self.fp16 = Fp16OptimizerHook(
            grad_clip=grad_clip,
            coalesce=coalesce,
            bucket_size_mb=bucket_size_mb,
            loss_scale=loss_scale,
            distributed=distributed,
        )

    def before_run(self, runner: Any) -> None:
        self.fp16.before_run(runner)

    def _backward(self, loss: Any) -> None:
        self.fp16.backward(loss)

    def _step(self, runner: Any) -> None:
        self.fp16.step(runner)
