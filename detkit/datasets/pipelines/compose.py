"""Compose: run transforms in sequence."""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Union

from ...registry import PIPELINES, build_from_cfg


@PIPELINES.register_module()
class Compose:
    """Apply transforms one after another; a transform returning None drops the sample.

    Args:
        transforms (Sequence[dict | callable]): transform objects or config dicts
            (built from the PIPELINES registry).
    """

    def __init__(self, transforms: Sequence[Union[dict, Callable]]):
        if not isinstance(transforms, (list, tuple)):
            raise TypeError(f'Compose: transforms must be a list of dicts or callables, but '
                            f'got {type(transforms).__name__}')
        self.transforms: list[Callable] = []
        for i, transform in enumerate(transforms):
            if isinstance(transform, dict):
                transform = build_from_cfg(transform, PIPELINES)
            elif not callable(transform):
                raise TypeError(f'Compose: transform #{i} must be callable or a dict, but got '
                                f'{type(transform).__name__}: {transform!r}')
            self.transforms.append(transform)

    def __call__(self, data: dict) -> Optional[Any]:
        for t in self.transforms:
            data = t(data)
            if data is None:
                return None
        return data

    def __repr__(self) -> str:
        body = ''.join(f'\n    {t}' for t in self.transforms)
        return f'{self.__class__.__name__}({body}\n)'
