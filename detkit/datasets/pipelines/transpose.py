"""Transpose: permute the axes of results entries."""
from __future__ import annotations

from typing import Sequence

from ...registry import PIPELINES
from ._utils import require


@PIPELINES.register_module()
class Transpose:
    """``results[key] = results[key].transpose(order)`` for each of ``keys``."""

    def __init__(self, keys: Sequence[str], order: Sequence[int]):
        self.keys = keys
        self.order = order

    def __call__(self, results: dict) -> dict:
        for key in self.keys:
            require(results, key, 'Transpose')
            value = results[key]
            if value.ndim != len(self.order):
                raise ValueError(f'Transpose: order {list(self.order)} does not fit {key!r} of '
                                 f'shape {tuple(value.shape)}')
            results[key] = (value.permute(*self.order) if hasattr(value, 'permute')
                            else value.transpose(self.order))
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(keys={self.keys}, order={self.order})'
