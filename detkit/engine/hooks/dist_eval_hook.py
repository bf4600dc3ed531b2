"""DistEvalHook: EvalHook for multi-process runs; rank 0 evaluates the gathered results."""

from __future__ import annotations

import os.path as osp
from typing import Any, Optional

import torch.distributed as dist
from torch.nn.modules.batchnorm import _BatchNorm

from ...registry import HOOKS
from ..inference_loops import run_inference_dist
from .eval_hook import EvalHook


@HOOKS.register_module()
class DistEvalHook(EvalHook):
    """Every process infers its share of the loader; rank 0 evaluates and saves the best.

    Args:
        broadcast_bn_buffer (bool): copy rank 0's BatchNorm running statistics
            to all ranks first (DDP does not keep them in sync), so every rank
            evaluates the same model.
        tmpdir (str, optional): folder for collecting results (default
            ``work_dir/.eval_hook``).
        gpu_collect (bool): collect through the process group instead of files.
        Other arguments as in EvalHook.
    """

    def __init__(
        self,
        dataloader: Any,
        start: Optional[int] = None,
        interval: int = 1,
        by_epoch: bool = True,
        save_best: Optional[str] = None,
        rule: Optional[str] = None,
        test_fn: Any = None,
        greater_keys: Any = None,
        less_keys: Any = None,
        broadcast_bn_buffer: bool = True,
        tmpdir: Optional[str] = None,
        gpu_collect: bool = False,
        out_dir: Optional[str] = None,
        dynamic_intervals: Optional[list] = None,
        **eval_kwargs: Any,
    ):
        super().__init__(
            dataloader,
            start=start,
            interval=interval,
            by_epoch=by_epoch,
            save_best=save_best,
            rule=rule,
            test_fn=test_fn,
            greater_keys=greater_keys,
            less_keys=less_keys,
            out_dir=out_dir,
            dynamic_intervals=dynamic_intervals,
            **eval_kwargs,
        )
        self.test_fn = test_fn if test_fn is not None else run_inference_dist
        self.broadcast_bn_buffer = broadcast_bn_buffer
        self.tmpdir = tmpdir
        self.gpu_collect = gpu_collect

    def _do_evaluate(self, runner: Any) -> None:
        if self.broadcast_bn_buffer and dist.is_available() and dist.is_initialized():
            for module in runner.model.modules():
                if isinstance(module, _BatchNorm) and module.track_running_stats:
                    dist.broadcast(module.running_var, 0)
                    dist.broadcast(module.running_mean, 0)
        tmpdir = self.tmpdir if self.tmpdir is not None else osp.join(runner.work_dir, '.eval_hook')
        results = self.test_fn(
            runner.model, self.dataloader, tmpdir=tmpdir, gpu_collect=self.gpu_collect
        )
        self.latest_results = results
        if runner.rank == 0:
            runner.log_buffer.output['eval_iter_num'] = len(self.dataloader)
            key_score = self.evaluate(runner, results)
            if self.save_best and key_score is not None:
                self._save_ckpt(runner, key_score)
