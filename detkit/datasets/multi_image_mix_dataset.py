"""MultiImageMixDataset: a wrapper whose pipeline mixes several samples (Mosaic, MixUp)."""
from __future__ import annotations

import collections.abc
import copy
from typing import Any, Optional, Sequence

from detkit.registry import DATASETS, PIPELINES, build_from_cfg


@DATASETS.register_module()
class MultiImageMixDataset:
    """Run ``pipeline`` on samples of ``dataset``; a transform with
    ``get_indexes(dataset)`` receives the samples it asks for in
    ``results['mix_results']``.

    Args:
        dataset (Dataset): yields loaded samples (its pipeline loads images/annotations).
        pipeline (Sequence[dict]): transform configs.
        dynamic_scale: removed in MMDetection 2.x (use a Resize transform); must be None.
        skip_type_keys (Sequence[str], optional): transform types to skip
            (e.g. switched off for the last epochs by a hook).
        max_refetch (int): attempts to get a non-None result from a transform or
            the inner dataset before giving up.
    """

    def __init__(self, dataset, pipeline: Sequence[dict], dynamic_scale=None,
                 skip_type_keys: Optional[Sequence[str]] = None, max_refetch: int = 15):
        if dynamic_scale is not None:
            raise RuntimeError('dynamic_scale is deprecated. Please use Resize pipeline '
                               'to achieve similar functions')
        if not isinstance(pipeline, collections.abc.Sequence):
            raise TypeError(f'pipeline must be a list of dicts, but got {type(pipeline).__name__}')
        self._check_skip(skip_type_keys)
        self._skip_type_keys = skip_type_keys
        self.pipeline, self.pipeline_types = [], []
        for i, t in enumerate(pipeline):
            if not isinstance(t, dict):
                raise TypeError(f'MultiImageMixDataset: pipeline[{i}] must be a dict, '
                                f'but got {type(t).__name__}')
            self.pipeline_types.append(t['type'])
            self.pipeline.append(build_from_cfg(t, PIPELINES))
        self.dataset = dataset
        self.CLASSES = dataset.CLASSES
        self.PALETTE = getattr(dataset, 'PALETTE', None)
        if hasattr(dataset, 'flag'):
            self.flag = dataset.flag
        self.num_samples = len(dataset)
        self.max_refetch = max_refetch

    @staticmethod
    def _check_skip(keys) -> None:
        if keys is not None and not all(isinstance(k, str) for k in keys):
            raise TypeError(f'skip_type_keys must be a list of str, but got {keys!r}')

    def __len__(self) -> int:
        return self.num_samples

    def __getitem__(self, idx: int) -> Any:
        results = copy.deepcopy(self.dataset[idx])
        for transform, ttype in zip(self.pipeline, self.pipeline_types):
            if self._skip_type_keys is not None and ttype in self._skip_type_keys:
                continue
            if hasattr(transform, 'get_indexes'):
                for _ in range(self.max_refetch):
                    indexes = transform.get_indexes(self.dataset)
                    if not isinstance(indexes, collections.abc.Sequence):
                        indexes = [indexes]
                    mix = [copy.deepcopy(self.dataset[i]) for i in indexes]
                    if None not in mix:
                        results['mix_results'] = mix
                        break
                else:
                    raise RuntimeError(
                        f'The loading pipeline of the original dataset always return None '
                        f'({self.max_refetch} tries for {ttype}). Please check the '
                        'correctness of the dataset and its pipeline.')
            for _ in range(self.max_refetch):
                updated = transform(copy.deepcopy(results))
                if updated is not None:
                    results = updated
                    break
            else:
                raise RuntimeError(
                    f'The training pipeline of the dataset wrapper always return None '
                    f'({self.max_refetch} tries of {ttype}). Please check the correctness of '
                    'the dataset and its pipeline.')
            results.pop('mix_results', None)
        return results

    def update_skip_type_keys(self, skip_type_keys: Sequence[str]) -> None:
        """Change the transform types to skip (used by YOLOX's mode-switch hook)."""
        self._check_skip(skip_type_keys)
        self._skip_type_keys = skip_type_keys
