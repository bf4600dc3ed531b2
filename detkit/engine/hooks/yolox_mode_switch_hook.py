"""YOLOXModeSwitchHook: drop the strong augmentations and add the L1 loss for the last epochs."""

from __future__ import annotations

from typing import Any, Sequence

from ...registry import HOOKS
from ..utils import unwrap_model
from .hook import Hook


@HOOKS.register_module()
class YOLOXModeSwitchHook(Hook):
    """At epoch ``max_epochs - num_last_epochs``: skip ``skip_type_keys`` in the dataset's
    pipeline (``dataset.update_skip_type_keys``) and set ``model.bbox_head.use_l1 = True``.

    A loader with persistent workers keeps its old pipeline copies, so it is
    made to restart its workers for the switch.

    Args:
        num_last_epochs (int): epochs trained without the strong augmentations.
        skip_type_keys (Sequence[str]): pipeline transform types to skip.
    """

    def __init__(
        self,
        num_last_epochs: int = 15,
        skip_type_keys: Sequence[str] = ('Mosaic', 'RandomAffine', 'MixUp'),
    ):
        self.num_last_epochs = num_last_epochs
        self.skip_type_keys = skip_type_keys
        self._restart_dataloader = False

    def before_train_epoch(self, runner: Any) -> None:
        train_loader = runner.data_loader
        model = unwrap_model(runner.model)
        if runner.epoch + 1 == runner.max_epochs - self.num_last_epochs:
            runner.logger.info('No mosaic and mixup aug now!')
            dataset = train_loader.dataset
            if not hasattr(dataset, 'update_skip_type_keys'):
                raise TypeError(
                    f'YOLOXModeSwitchHook needs a dataset with update_skip_type_keys '
                    f'(MultiImageMixDataset), but got {type(dataset).__name__}'
                )
            dataset.update_skip_type_keys(self.skip_type_keys)
            if getattr(train_loader, 'persistent_workers', False) is True:
                # torch's DataLoader re-creates its workers only when it is
                # re-initialised; these private fields are the only switch
                train_loader._DataLoader__initialized = False
                train_loader._iterator = None
                self._restart_dataloader = True
            runner.logger.info('Add additional L1 loss now!')
            model.bbox_head.use_l1 = True
        elif self._restart_dataloader:
            train_loader._DataLoader__initialized = True
