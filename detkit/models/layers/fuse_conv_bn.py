"""``fuse_conv_bn``: fold eval-mode BatchNorm into the preceding conv (faster inference)."""
from __future__ import annotations

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm


def _fuse(conv: nn.Conv2d, bn: _BatchNorm) -> nn.Conv2d:
    """``bn(conv(x)) == conv'(x)`` with ``w' = w * g / s`` and ``b' = (b - mu) * g / s + beta``,
    where ``s = sqrt(running_var + eps)`` and ``g`` is the BN weight (1 without affine)."""
    with torch.no_grad():
        bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
        gamma = bn.weight if bn.weight is not None else torch.ones_like(bn.running_var)
        beta = bn.bias if bn.bias is not None else torch.zeros_like(bn.running_mean)
        factor = gamma / torch.sqrt(bn.running_var + bn.eps)
        shape = (-1,) + (1,) * (conv.weight.dim() - 1)
        conv.weight = nn.Parameter(conv.weight * factor.reshape(shape))
        conv.bias = nn.Parameter((bias - bn.running_mean) * factor + beta)
    return conv


def fuse_conv_bn(module: nn.Module) -> nn.Module:
    """Fold every BatchNorm that directly follows a Conv among a module's children.

    The conv takes the folded weights and the BN becomes ``nn.Identity`` (so the
    module structure, and the order of execution, stay the same). Only valid for
    inference: the BN's running statistics are baked in. Works in place and
    returns ``module``.
    """
    last_conv, last_name = None, None
    for name, child in module.named_children():
        if isinstance(child, _BatchNorm):
            if last_conv is None:  # a BN not preceded by a conv is kept
                continue
            if not child.track_running_stats or child.running_mean is None:
                last_conv = None
                continue
            module._modules[last_name] = _fuse(last_conv, child)
            module._modules[name] = nn.Identity()
            last_conv = None
        elif isinstance(child, nn.Conv2d):
            last_conv, last_name = child, name
        else:
            fuse_conv_bn(child)
    return module
