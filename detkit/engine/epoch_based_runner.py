"""EpochBasedRunner: trains for ``max_epochs`` passes over the data (mmcv 1.x API)."""

from __future__ import annotations

from typing import Any, Optional

import torch

from ..registry import RUNNERS
from .base_runner import BaseRunner
from .workflow import check_workflow


@RUNNERS.register_module()
class EpochBasedRunner(BaseRunner):
    """Runs a workflow such as ``[('train', 1), ('val', 1)]`` until ``max_epochs``.

    ``epoch`` counts finished training epochs, ``iter`` finished training
    iterations, ``inner_iter`` the index of the batch in the current epoch.
    """

    def train(self, data_loader: Any, **kwargs: Any) -> None:
        self.model.train()
        self.mode = 'train'
        self.data_loader = data_loader
        self._max_iters = self._max_epochs * len(data_loader)
        self.call_hook('before_train_epoch')
        for i, data_batch in enumerate(data_loader):
            self.data_batch = data_batch
            self._inner_iter = i
            self.call_hook('before_train_iter')
            self.run_iter(data_batch, train_mode=True, **kwargs)
            self.call_hook('after_train_iter')
            del self.data_batch
            self._iter += 1
        self.call_hook('after_train_epoch')
        self._epoch += 1

    @torch.no_grad()
    def val(self, data_loader: Any, **kwargs: Any) -> None:
        self.model.eval()
        self.mode = 'val'
        self.data_loader = data_loader
        self.call_hook('before_val_epoch')
        for i, data_batch in enumerate(data_loader):
            self.data_batch = data_batch
            self._inner_iter = i
            self.call_hook('before_val_iter')
            self.run_iter(data_batch, train_mode=False)
            self.call_hook('after_val_iter')
            del self.data_batch
        self.call_hook('after_val_epoch')

    def run(
        self, data_loaders: list, workflow: list, max_epochs: Optional[int] = None, **kwargs: Any
    ) -> None:
        """Run ``workflow`` over ``data_loaders`` (one loader per phase) until ``max_epochs``.

        Args:
            data_loaders (list[DataLoader]): loaders for the phases.
            workflow (list[tuple[str, int]]): e.g. ``[('train', 2), ('val', 1)]``:
                two training epochs, then one validation epoch, repeated.
        """
        if max_epochs is not None:  # deprecated in mmcv; kept for old callers
            self._max_epochs = max_epochs
        if self._max_epochs is None:
            raise ValueError(
                'EpochBasedRunner needs max_epochs (runner = dict(type='
                "'EpochBasedRunner', max_epochs=12))"
            )
        check_workflow(workflow, data_loaders, type(self).__name__)
        for loader, (mode, _) in zip(data_loaders, workflow):
            if mode == 'train':
                self._max_iters = self._max_epochs * len(loader)
                break
        self._log_start(workflow, f'{self._max_epochs} epochs')
        self.call_hook('before_run')
        while self.epoch < self._max_epochs:
            for loader, (mode, epochs) in zip(data_loaders, workflow):
                for _ in range(epochs):
                    if mode == 'train' and self.epoch >= self._max_epochs:
                        break
                    getattr(self, mode)(loader, **kwargs)
        self.call_hook('after_run')

    def save_checkpoint(
        self,
        out_dir: str,
        filename_tmpl: str = 'epoch_{}.pth',
        save_optimizer: bool = True,
        meta: Optional[dict] = None,
        create_symlink: bool = True,
    ) -> None:
        """Save ``out_dir/filename_tmpl.format(epoch + 1)`` and point ``latest.pth`` at it."""
        self._save(
            out_dir,
            filename_tmpl.format(self.epoch + 1),
            save_optimizer,
            meta,
            create_symlink,
            dict(epoch=self.epoch + 1, iter=self.iter),
        )
