"""What ``Config.fromfile`` does once the files are merged: move the
deprecated top-level ``train_cfg``/``test_cfg`` into ``model`` and import
``custom_imports``."""

from __future__ import annotations

import importlib
import warnings
from typing import Any, List, Union

from .config_dict import ConfigDict


def move_deprecated_train_test_cfg(tree: ConfigDict, display: str) -> None:
    """Seed chapter 7.4: top-level train_cfg/test_cfg belong in ``model``."""
    moved = [k for k in ('train_cfg', 'test_cfg') if k in tree]
    model = tree.get('model', None)
    if not moved or not isinstance(model, dict):
        return
    warnings.warn(
        'train_cfg and test_cfg are deprecated in config file, please specify them in '
        f'model; moved top-level {" and ".join(moved)} into model ({display})',
        UserWarning,
        stacklevel=4,
    )
    for key in moved:
        if key in model:
            raise KeyError(f'{key} specified in both outer field and model field of {display}')
        dict.__setitem__(model, key, tree.pop(key))


def import_modules_from_strings(
    imports: Union[str, List[str], None], allow_failed_imports: bool = False
) -> List[Any]:
    """Import the modules named in ``custom_imports`` (for their side effect
    of registering components). Returns the imported modules (None for a
    failed import when ``allow_failed_imports``)."""
    if not imports:
        return []
    if isinstance(imports, str):
        imports = [imports]
    if not isinstance(imports, (list, tuple)):
        raise TypeError(
            f'custom_imports.imports must be a list of module names, got {type(imports).__name__}'
        )
    modules: List[Any] = []
    for name in imports:
        if not isinstance(name, str):
            raise TypeError(
                f'{name!r} in custom_imports is of type {type(name).__name__} '
                'and cannot be imported'
            )
        try:
            modules.append(importlib.import_module(name))
        except ImportError as e:
            if not allow_failed_imports:
                raise ImportError(f'custom_imports: failed to import {name!r}: {e}') from e
            warnings.warn(f'{name} failed to import and is ignored.', UserWarning, stacklevel=2)
            modules.append(None)
    return modules
