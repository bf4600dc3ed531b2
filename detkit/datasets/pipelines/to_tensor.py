"""to_tensor / ToTensor: convert results entries to torch tensors."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ...registry import PIPELINES
from ._utils import require


def to_tensor(data: Any) -> torch.Tensor:
    """Tensor (as is), ndarray (shares memory), sequence, int (-> int64 [x]) or float
    (-> float32 [x]) to a tensor."""
    if isinstance(data, torch.Tensor):
        return data
    if isinstance(data, np.ndarray):
        return torch.from_numpy(data)
    if isinstance(data, Sequence) and not isinstance(data, str):
        return torch.tensor(data)
    if isinstance(data, (int, np.integer)) and not isinstance(data, bool):
        return torch.LongTensor([int(data)])
    if isinstance(data, (float, np.floating)):
        return torch.FloatTensor([float(data)])
    raise TypeError(f'to_tensor: type {type(data).__name__} cannot be converted to a tensor '
                    f'(accepted: Tensor, ndarray, Sequence, int, float)')


@PIPELINES.register_module()
class ToTensor:
    """Convert ``results[key]`` to a tensor for each of ``keys``."""

    def __init__(self, keys: Sequence[str]):
        self.keys = keys

    def __call__(self, results: dict) -> dict:
        for key in self.keys:
            require(results, key, 'ToTensor')
            results[key] = to_tensor(results[key])
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(keys={self.keys})'
