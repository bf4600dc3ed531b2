"""IterBasedRunner: trains for ``max_iters`` batches, cycling the data (mmcv 1.x API)."""

from __future__ import annotations

from typing import Any, Optional

import torch

from ..registry import RUNNERS
from .base_runner import BaseRunner
from .workflow import check_workflow


class IterLoader:
    """An endless iterator over a DataLoader; counts passes in ``epoch``.

    At the start of each pass the sampler's ``set_epoch`` (if any) gets the
    pass number, so a distributed sampler reshuffles.

    Args:
        dataloader (DataLoader): the loader to cycle.
        epoch (int): passes already done (a resumed run starts where it stopped).
    """

    def __init__(self, dataloader: Any, epoch: int = 0):
        self._dataloader = dataloader
        self._epoch = epoch
        if epoch > 0:
            self._set_sampler_epoch()
        self.iter_loader = iter(dataloader)

    def _set_sampler_epoch(self) -> None:
        sampler = getattr(self._dataloader, 'sampler', None)
        if hasattr(sampler, 'set_epoch'):
            sampler.set_epoch(self._epoch)

    @property
    def epoch(self) -> int:
        return self._epoch

    def __next__(self) -> Any:
        try:
            return next(self.iter_loader)
        except StopIteration:
            self._epoch += 1
            self._set_sampler_epoch()
            self.iter_loader = iter(self._dataloader)
            return next(self.iter_loader)

    def __len__(self) -> int:
        return len(self._dataloader)


@RUNNERS.register_module()
class IterBasedRunner(BaseRunner):
    """Runs a workflow such as ``[('train', 1000), ('val', 1)]`` until ``max_iters``.

    ``iter`` counts finished training iterations; ``epoch`` the finished
    passes of the training loader; ``inner_iter`` the iterations in the
    current workflow phase.
    """

    def train(self, data_loader: IterLoader, **kwargs: Any) -> None:
        self.model.train()
        self.mode = 'train'
        self.data_loader = data_loader._dataloader
        self._epoch = data_loader.epoch
        data_batch = next(data_loader)
        self.data_batch = data_batch
        self.call_hook('before_train_iter')
        self.run_iter(data_batch, train_mode=True, **kwargs)
        self.call_hook('after_train_iter')
        del self.data_batch
        self._inner_iter += 1
        self._iter += 1

    @torch.no_grad()
    def val(self, data_loader: IterLoader, **kwargs: Any) -> None:
        self.model.eval()
        self.mode = 'val'
        self.data_loader = data_loader._dataloader
        data_batch = next(data_loader)
        self.data_batch = data_batch
        self.call_hook('before_val_iter')
        self.run_iter(data_batch, train_mode=False, **kwargs)
        self.call_hook('after_val_iter')
        del self.data_batch
        self._inner_iter += 1

    def run(
        self, data_loaders: list, workflow: list, max_iters: Optional[int] = None, **kwargs: Any
    ) -> None:
        """Run ``workflow`` over ``data_loaders`` (one loader per phase) until ``max_iters``."""
        if max_iters is not None:  # deprecated in mmcv; kept for old callers
            self._max_iters = max_iters
        if self._max_iters is None:
            raise ValueError(
                "IterBasedRunner needs max_iters (runner = dict(type='IterBasedRunner'"
                ', max_iters=90000))'
            )
        check_workflow(workflow, data_loaders, type(self).__name__)
        self._log_start(workflow, f'{self._max_iters} iters')
        self.call_hook('before_run')
        # a resumed run continues the pass count of its training loader (a run
        # stopped mid-pass starts a fresh pass, as in mmcv)
        iter_loaders = [
            IterLoader(x, self.iter // len(x) if mode == 'train' else 0)
            for x, (mode, _) in zip(data_loaders, workflow)
        ]
        # as in mmcv, only the mode-free epoch methods frame an iteration-based run
        # (timers start, log buffers clear); by-epoch logic in *_train_epoch stays out
        self.call_hook('before_epoch')
        while self.iter < self._max_iters:
            for loader, (mode, iters) in zip(iter_loaders, workflow):
                self._inner_iter = 0
                for _ in range(iters):
                    if mode == 'train' and self.iter >= self._max_iters:
                        break
                    getattr(self, mode)(loader, **kwargs)
        self.call_hook('after_epoch')
        self.call_hook('after_run')

    def resume(
        self,
        checkpoint: str,
        resume_optimizer: bool = True,
        map_location: Any = 'default',
        weights_only: bool = True,
    ) -> None:
        super().resume(checkpoint, resume_optimizer, map_location, weights_only)
        self._inner_iter = self._iter

    def save_checkpoint(
        self,
        out_dir: str,
        filename_tmpl: str = 'iter_{}.pth',
        meta: Optional[dict] = None,
        save_optimizer: bool = True,
        create_symlink: bool = True,
    ) -> None:
        """Save ``out_dir/filename_tmpl.format(iter + 1)`` and point ``latest.pth`` at it."""
        self._save(
            out_dir,
            filename_tmpl.format(self.iter + 1),
            save_optimizer,
            meta,
            create_symlink,
            dict(iter=self.iter + 1, epoch=self.epoch + 1),
        )
