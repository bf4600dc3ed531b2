"""NumClassCheckHook: the heads' ``num_classes`` must match the dataset's ``CLASSES``."""

from __future__ import annotations

from typing import Any

from ...registry import HOOKS
from ..utils import unwrap_model
from .hook import Hook

# class-agnostic modules that carry num_classes for other reasons (MMDetection's list)
_EXEMPT = (
    'RPNHead',
    'GARPNHead',
    'CascadeRPNHead',
    'StageCascadeRPNHead',
    'VGG',
    'FusedSemanticHead',
)


def _exempt(module: Any) -> bool:
    return any(c.__name__ in _EXEMPT for c in type(module).__mro__)


@HOOKS.register_module()
class NumClassCheckHook(Hook):
    """Before each train and val epoch, check every module with ``num_classes``
    (RPN heads excepted) against ``len(dataset.CLASSES)``; raise ValueError naming
    the module, its num_classes, the dataset and its classes on a mismatch.
    """

    def _check_head(self, runner: Any) -> None:
        dataset = runner.data_loader.dataset
        classes = getattr(dataset, 'CLASSES', None)
        ds_name = type(dataset).__name__
        if classes is None:
            runner.logger.warning(
                f'Please set `CLASSES` in the {ds_name} and check if it is '
                'consistent with the `num_classes` of head'
            )
            return
        if isinstance(classes, str):
            raise TypeError(
                f'`CLASSES` in {ds_name} should be a tuple of str. Add comma if '
                f'number of classes is 1 as CLASSES = ({classes!r},)'
            )
        for name, module in unwrap_model(runner.model).named_modules():
            if hasattr(module, 'num_classes') and not _exempt(module):
                if module.num_classes != len(classes):
                    raise ValueError(
                        f'The `num_classes` ({module.num_classes}) in {type(module).__name__} '
                        f'(model.{name}) does not match the length of `CLASSES` '
                        f'({len(classes)}) in {ds_name}: {tuple(classes)}; set num_classes='
                        f'{len(classes)} in the head config or CLASSES in the dataset config'
                    )

    def before_train_epoch(self, runner: Any) -> None:
        self._check_head(runner)

    def before_val_epoch(self, runner: Any) -> None:
        self._check_head(runner)
