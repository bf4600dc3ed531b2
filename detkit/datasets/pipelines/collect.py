"""Collect: keep the keys the model consumes and gather the image meta."""
from __future__ import annotations

from typing import Sequence

from ...registry import PIPELINES
from ...utils.suggest import did_you_mean

DEFAULT_META_KEYS = ('filename', 'ori_filename', 'ori_shape', 'img_shape', 'pad_shape',
                     'scale_factor', 'flip', 'flip_direction', 'img_norm_cfg')


@PIPELINES.register_module()
class Collect:
    """Return ``{'img_metas': {k: results[k] for k in meta_keys}, key: results[key], ...}``.

    Typically the last transform: ``keys`` are the model inputs ('img',
    'gt_bboxes', 'gt_labels', ...), ``meta_keys`` what the model needs to know
    about the image (shapes, scale, flip). A missing key raises a KeyError
    naming it.

    Args:
        keys (Sequence[str]): keys of ``results`` to keep.
        meta_keys (Sequence[str]): keys gathered into ``img_metas`` (a dict).
    """

    def __init__(self, keys: Sequence[str], meta_keys: Sequence[str] = DEFAULT_META_KEYS):
        self.keys = keys
        self.meta_keys = meta_keys

    def _get(self, results: dict, key: str, what: str):
        if key not in results:
            raise KeyError(f'Collect: {what} {key!r} is not in results'
                           f'{did_you_mean(key, [str(k) for k in results])}; present keys: '
                           f'{sorted(map(str, results))}')
        return results[key]

    def __call__(self, results: dict) -> dict:
        data = {'img_metas': {k: self._get(results, k, 'meta key') for k in self.meta_keys}}
        for key in self.keys:
            data[key] = self._get(results, key, 'key')
        return data

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(keys={self.keys}, meta_keys={self.meta_keys})'
