"""Top-k classification accuracy, as logged next to the classification losses."""
from __future__ import annotations

from typing import Optional, Union

import torch.nn as nn
from torch import Tensor

from ...registry import LOSSES


def accuracy(pred: Tensor, target: Tensor, topk: Union[int, tuple] = 1,
             thresh: Optional[float] = None) -> Union[Tensor, list]:
    """Top-k accuracy in percent.

    Args:
        pred (Tensor): (N, C) scores.
        target (Tensor): (N,) integer class indices.
        topk (int | tuple[int]): the k(s) to evaluate.
        thresh (float, optional): a prediction counts only if its score is above this.

    Returns:
        Tensor | list[Tensor]: a (1,) tensor per k (a scalar 0 when N == 0); a single
        one when ``topk`` is an int.
    """
    if not isinstance(topk, (int, tuple)):
        raise TypeError(f'accuracy: topk must be an int or a tuple of int, but got {topk!r}')
    single = isinstance(topk, int)
    ks = (topk,) if single else topk
    if pred.size(0) == 0:
        res = [pred.new_tensor(0.) for _ in ks]
        return res[0] if single else res
    if pred.ndim != 2 or target.ndim != 1 or pred.size(0) != target.size(0):
        raise ValueError(f'accuracy expects pred (N, C) and target (N,), but got '
                         f'{tuple(pred.shape)} and {tuple(target.shape)}')
    maxk = max(ks)
    if maxk > pred.size(1):
        raise ValueError(f'accuracy: top-{maxk} needs at least {maxk} classes, '
                         f'but pred has {pred.size(1)}')
    values, labels = pred.topk(maxk, dim=1)
    correct = labels.t() == target.view(1, -1)  # (maxk, N)
    if thresh is not None:
        correct = correct & (values > thresh).t()
    res = [correct[:k].reshape(-1).float().sum(0, keepdim=True) * (100.0 / pred.size(0))
           for k in ks]
    return res[0] if single else res


@LOSSES.register_module()
class Accuracy(nn.Module):
    """Module form of :func:`accuracy`.

    Args:
        topk (tuple[int]): the k(s) to evaluate. Default (1,).
        thresh (float, optional): score threshold for a prediction to count.
    """

    def __init__(self, topk: Union[int, tuple] = (1,), thresh: Optional[float] = None):
        super().__init__()
        self.topk = topk
        self.thresh = thresh

    def forward(self, pred: Tensor, target: Tensor) -> Union[Tensor, list]:
        """Accuracies (percent) for each k; see :func:`accuracy`."""
        return accuracy(pred, target, self.topk, self.thresh)
