"""``L2Norm``: per-position L2 normalisation with a learned per-channel scale (SSD conv4_3)."""
from __future__ import annotations

import torch
import torch.nn as nn


class L2Norm(nn.Module):
    """``weight[c] * x[:, c] / (||x[:, :, h, w]||_2 + eps)``, computed in float32.

    Args:
        n_dims (int): channels.
        scale (float): initial value of ``weight`` (SSD: 20).
        eps (float): added to the norm.

    Shapes: ``(B, n_dims, H, W) -> (B, n_dims, H, W)``.
    """

    def __init__(self, n_dims: int, scale: float = 20., eps: float = 1e-10):
        super().__init__()
        self.n_dims = n_dims
        self.weight = nn.Parameter(torch.full((n_dims,), float(scale)))
        self.eps = eps
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # fp16 training: the sum of squares overflows in half precision
        x_float = x.float()
        norm = x_float.pow(2).sum(1, keepdim=True).sqrt() + self.eps
        return (self.weight[None, :, None, None].float() * x_float / norm).type_as(x)
