"""CheckpointHook: ``checkpoint_config = dict(interval=1, max_keep_ckpts=3)`` (mmcv 1.x)."""

from __future__ import annotations

import os
import os.path as osp
from typing import Any, Optional

from ...registry import HOOKS
from ..dist_utils import get_dist_info
from .hook import Hook
from .sync_buffers_hook import sync_buffers


@HOOKS.register_module()
class CheckpointHook(Hook):
    """Save ``epoch_N.pth`` / ``iter_N.pth`` (atomically) and point ``latest.pth`` at it.

    Args:
        interval (int): save every ``interval`` epochs (iterations if not
            by_epoch); -1 saves only the last one (with save_last).
        by_epoch (bool): count epochs (else iterations).
        save_optimizer (bool): include the optimizer state (needed to resume).
        out_dir (str, optional): defaults to the runner's work_dir; otherwise
            ``out_dir/<basename of work_dir>``, as in mmcv.
        max_keep_ckpts (int): keep only the newest N (-1: all).
        save_last (bool): always save at the end of training.
        sync_buffer (bool): average the model's buffers (BN statistics) over
            processes before saving.
        **kwargs: passed to ``runner.save_checkpoint`` (filename_tmpl, create_symlink, meta).
    """

    def __init__(
        self,
        interval: int = -1,
        by_epoch: bool = True,
        save_optimizer: bool = True,
        out_dir: Optional[str] = None,
        max_keep_ckpts: int = -1,
        save_last: bool = True,
        sync_buffer: bool = False,
        **kwargs: Any,
    ):
        self.interval = interval
        self.by_epoch = by_epoch
        self.save_optimizer = save_optimizer
        self.out_dir = out_dir
        self.max_keep_ckpts = max_keep_ckpts
        self.save_last = save_last
        self.args = kwargs
        self.sync_buffer = sync_buffer

    def before_run(self, runner: Any) -> None:
        if not self.out_dir:
            self.out_dir = runner.work_dir
        elif self.out_dir != runner.work_dir:
            self.out_dir = osp.join(self.out_dir, osp.basename(runner.work_dir.rstrip(osp.sep)))
        if self.out_dir is None:
            raise ValueError('CheckpointHook needs an out_dir or a runner with a work_dir')
        runner.logger.info(f'Checkpoints will be saved to {self.out_dir} by HardDiskBackend.')

    def after_train_epoch(self, runner: Any) -> None:
        if not self.by_epoch:
            return
        if self.every_n_epochs(runner, self.interval) or (
            self.save_last and self.is_last_epoch(runner)
        ):
            runner.logger.info(f'Saving checkpoint at {runner.epoch + 1} epochs')
            self._save_checkpoint(runner)

    def after_train_iter(self, runner: Any) -> None:
        if self.by_epoch:
            return
        if self.every_n_iters(runner, self.interval) or (
            self.save_last and self.is_last_iter(runner)
        ):
            runner.logger.info(f'Saving checkpoint at {runner.iter + 1} iterations')
            self._save_checkpoint(runner)

    def _save_checkpoint(self, runner: Any) -> None:
        if self.sync_buffer:
            sync_buffers(runner.model)  # a collective: every rank takes part
        if get_dist_info()[0] != 0:
            return
        runner.save_checkpoint(self.out_dir, save_optimizer=self.save_optimizer, **self.args)
        if self.by_epoch:
            name, current = self.args.get('filename_tmpl', 'epoch_{}.pth'), runner.epoch + 1
        else:
            name, current = self.args.get('filename_tmpl', 'iter_{}.pth'), runner.iter + 1
        if runner.meta is not None:
            runner.meta.setdefault('hook_msgs', {})
            runner.meta['hook_msgs']['last_ckpt'] = osp.join(self.out_dir, name.format(current))
        if self.max_keep_ckpts > 0:
            step = self.interval if self.interval > 0 else 1
            # older checkpoints live at current - k * interval; stop at the first gap
            for old in range(current - self.max_keep_ckpts * step, 0, -step):
                path = osp.join(self.out_dir, name.format(old))
                if not osp.isfile(path):
                    break
                os.remove(path)
