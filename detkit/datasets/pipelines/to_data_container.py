"""ToDataContainer: accepted for MMDetection 2.x configs; detkit batches need no wrapping."""
from __future__ import annotations

from typing import Sequence

from ...registry import PIPELINES
from ._utils import require

_DEFAULT_FIELDS = (dict(key='img', stack=True), dict(key='gt_bboxes'), dict(key='gt_labels'))


@PIPELINES.register_module()
class ToDataContainer:
    """Keep MMDetection configs that name ``ToDataContainer`` working.

    MMDetection wraps fields in mmcv's ``DataContainer`` so its scatter can
    stack or split them. detkit's collate stacks images and keeps every other
    field as a per-image list, so the wrapping has nothing to do: this
    transform checks that each field exists (so a typo still fails here, where
    the config names it) and returns the results unchanged.

    Args:
        fields (Sequence[dict]): ``dict(key=..., stack=..., cpu_only=...)``
            per field, as in MMDetection; only ``key`` is used.
    """

    def __init__(self, fields: Sequence[dict] = _DEFAULT_FIELDS):
        for field in fields:
            if not isinstance(field, dict) or 'key' not in field:
                raise TypeError(f'ToDataContainer: each field must be a dict with a "key", '
                                f'but got {field!r}')
        self.fields = tuple(fields)

    def __call__(self, results: dict) -> dict:
        require(results, [f['key'] for f in self.fields], 'ToDataContainer')
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(fields={self.fields})'
