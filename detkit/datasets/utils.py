"""Pipeline-config helpers of ``mmdet.datasets``: batch-inference and loading-only pipelines."""
from __future__ import annotations

import copy
import warnings

from detkit.registry import PIPELINES


def replace_ImageToTensor(pipelines: list) -> list:  # noqa: N802  (MMDetection's name)
    """A copy of ``pipelines`` with ``ImageToTensor`` replaced by ``DefaultFormatBundle``
    (also inside ``MultiScaleFlipAug``), so that test images can be batched.
    """
    pipelines = copy.deepcopy(pipelines)
    for i, p in enumerate(pipelines):
        if p['type'] == 'MultiScaleFlipAug':
            if 'transforms' not in p:
                raise KeyError('MultiScaleFlipAug config has no "transforms"')
            p['transforms'] = replace_ImageToTensor(p['transforms'])
        elif p['type'] == 'ImageToTensor':
            warnings.warn('"ImageToTensor" pipeline is replaced by "DefaultFormatBundle" for '
                          'batch inference. It is recommended to manually replace it in the '
                          'test data pipeline in your config file.', UserWarning, stacklevel=2)
            pipelines[i] = {'type': 'DefaultFormatBundle'}
    return pipelines


def get_loading_pipeline(pipeline: list) -> list:
    """The image- and annotation-loading steps of ``pipeline`` (exactly two of them)."""
    from .pipelines import LoadAnnotations, LoadImageFromFile
    loaders = (LoadImageFromFile, LoadAnnotations)
    found = [cfg for cfg in pipeline if PIPELINES.get(cfg['type']) in loaders]
    if len(found) != 2:
        raise ValueError('The data pipeline in your config file must include loading image '
                         'and annotations related pipeline (LoadImageFromFile and '
                         f'LoadAnnotations); found {[c["type"] for c in found]}')
    return found
