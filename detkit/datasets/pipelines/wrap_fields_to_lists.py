"""WrapFieldsToLists: wrap each value in a one-element list (single-scale test data)."""
from __future__ import annotations

from ...registry import PIPELINES


@PIPELINES.register_module()
class WrapFieldsToLists:
    """``{k: v}`` -> ``{k: [v]}``, so a test pipeline without MultiScaleFlipAug gives
    the same nesting as one with it."""

    def __call__(self, results: dict) -> dict:
        for key, val in results.items():
            results[key] = [val]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}()'
