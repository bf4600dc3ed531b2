"""``conv_norm``: a conv followed by an eval-mode BatchNorm as one convolution.

A BatchNorm in eval mode (``model.eval()``, or training with ``norm_eval=True``,
MMDetection's default for detection backbones) is the per-channel affine map
``y = x * s + t`` with ``s = weight / sqrt(running_var + eps)`` and
``t = bias - running_mean * s``. Applied after a convolution it can be folded
into it: ``conv(x, W) * s + t == conv(x, W * s, b * s + t)``. The folded form
runs one convolution instead of a convolution plus an elementwise pass over the
activation (forward) and BatchNorm's backward (two reductions and an
elementwise pass), and does not store the conv output for BatchNorm's backward.
It is computed from the live parameters on every call, so gradients still
reach the conv weight and a trainable BatchNorm affine (``requires_grad=True``
under ``norm_eval``) exactly; the state dict is untouched.

Anything else — BN in train mode (batch statistics), GN, a conv subclass
(ConvWS, DCN) or a non-zero padding mode — runs the two modules as they are.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

_FOLDABLE_NORMS = (nn.BatchNorm2d, nn.SyncBatchNorm)


def can_fold(conv: nn.Module, norm: nn.Module) -> bool:
    """Whether ``norm(conv(x))`` equals one convolution right now (eval-mode BN after a
    plain zero-padded ``nn.Conv2d``)."""
    return (type(conv) is nn.Conv2d and conv.padding_mode == 'zeros'
            and type(norm) in _FOLDABLE_NORMS and not norm.training
            and norm.running_mean is not None and norm.running_var is not None)


def conv_norm(x: torch.Tensor, conv: nn.Module, norm: nn.Module) -> torch.Tensor:
    """``norm(conv(x))``, computed as one folded convolution when :func:`can_fold`.

    Args:
        x (Tensor): (B, C_in, H, W).
        conv (nn.Module): the convolution (any conv layer).
        norm (nn.Module): the norm layer that follows it (any norm layer).

    Returns:
        Tensor: (B, C_out, H', W'), equal to ``norm(conv(x))`` up to float rounding.
    """
    if not can_fold(conv, norm):
        return norm(conv(x))
    scale = torch.rsqrt(norm.running_var + norm.eps)
    if norm.weight is not None:
        scale = scale * norm.weight
    shift = -norm.running_mean * scale
    if norm.bias is not None:
        shift = shift + norm.bias
    if conv.bias is not None:
        shift = shift + conv.bias * scale
    weight = conv.weight * scale.view(-1, 1, 1, 1)
    return F.conv2d(x, weight, shift, conv.stride, conv.padding, conv.dilation, conv.groups)


class ConvNormSequential(nn.Sequential):
    """An ``nn.Sequential`` (same children, same state-dict keys) that runs each
    conv directly followed by a foldable norm as one :func:`conv_norm`.

    Used for ResNet's shortcut projection (``downsample.0/.1``, with avg_down
    ``downsample.1/.2``) and deep stem.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        layers = list(self)
        i = 0
        while i < len(layers):
            if i + 1 < len(layers) and can_fold(layers[i], layers[i + 1]):
                x = conv_norm(x, layers[i], layers[i + 1])
                i += 2
            else:
                x = layers[i](x)
                i += 1
        return x
