"""Activation modules mmcv has and torch does not (or names differently)."""
from __future__ import annotations

import torch
import torch.nn as nn


class HSigmoid(nn.Module):
    """Hard sigmoid ``min(max((x + bias) / divisor, min_value), max_value)``.

    mmcv's defaults (bias=3, divisor=6) give ``relu6(x + 3) / 6``.
    """

    def __init__(self, bias: float = 3.0, divisor: float = 6.0, min_value: float = 0.0,
                 max_value: float = 1.0):
        super().__init__()
        if divisor == 0:
            raise ValueError('HSigmoid: divisor must not be 0')
        self.bias = bias
        self.divisor = divisor
        self.min_value = min_value
        self.max_value = max_value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ((x + self.bias) / self.divisor).clamp_(self.min_value, self.max_value)


class HSwish(nn.Module):
    """Hard swish ``x * relu6(x + 3) / 6``."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.act = nn.ReLU6(inplace)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.act(x + 3) / 6


class Swish(nn.Module):
    """Swish ``x * sigmoid(x)`` (the same function as SiLU)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x)


class Clamp(nn.Module):
    """Clamp the input to ``[min, max]``."""

    def __init__(self, min: float = -1.0, max: float = 1.0):  # noqa: A002 (mmcv's names)
        super().__init__()
        self.min = min
        self.max = max

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.clamp(x, min=self.min, max=self.max)
