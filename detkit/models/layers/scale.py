"""``Scale``: a learnable scalar multiplier (FCOS/ATSS regression heads)."""
from __future__ import annotations

import torch
import torch.nn as nn


class Scale(nn.Module):
    """Multiply the input by a learnable scalar.

    Args:
        scale (float): initial value of the 0-d parameter ``scale`` (key ``scale``, shape ``[]``).
    """

    def __init__(self, scale: float = 1.0):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(scale, dtype=torch.float))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale
