"""Weight-initialisation functions applied to one layer (mmcv's ``*_init``).

Each sets ``module.weight`` (when the module has one that is not None) and sets
``module.bias`` to the constant ``bias`` (likewise).
"""
from __future__ import annotations

import math

import torch.nn as nn


def _has(module: nn.Module, name: str) -> bool:
    return getattr(module, name, None) is not None


def _init_bias(module: nn.Module, bias: float) -> None:
    if _has(module, 'bias'):
        nn.init.constant_(module.bias, bias)


def _check_distribution(distribution: str) -> None:
    if distribution not in ('uniform', 'normal'):
        raise ValueError(f"distribution must be 'uniform' or 'normal', but got {distribution!r}")


def constant_init(module: nn.Module, val: float, bias: float = 0) -> None:
    """Fill the weight with ``val`` and the bias with ``bias``."""
    if _has(module, 'weight'):
        nn.init.constant_(module.weight, val)
    _init_bias(module, bias)


def xavier_init(module: nn.Module, gain: float = 1, bias: float = 0,
                distribution: str = 'normal') -> None:
    """Xavier (Glorot) init of the weight, normal or uniform."""
    _check_distribution(distribution)
    if _has(module, 'weight'):
        if distribution == 'uniform':
            nn.init.xavier_uniform_(module.weight, gain=gain)
        else:
            nn.init.xavier_normal_(module.weight, gain=gain)
    _init_bias(module, bias)


def normal_init(module: nn.Module, mean: float = 0, std: float = 1, bias: float = 0) -> None:
    """Weight ~ N(mean, std^2)."""
    if _has(module, 'weight'):
        nn.init.normal_(module.weight, mean, std)
    _init_bias(module, bias)


def trunc_normal_init(module: nn.Module, mean: float = 0, std: float = 1, a: float = -2,
                      b: float = 2, bias: float = 0) -> None:
    """Weight ~ N(mean, std^2) truncated to the absolute range ``[a, b]``."""
    if _has(module, 'weight'):
        nn.init.trunc_normal_(module.weight, mean, std, a, b)
    _init_bias(module, bias)


def uniform_init(module: nn.Module, a: float = 0, b: float = 1, bias: float = 0) -> None:
    """Weight ~ U(a, b)."""
    if _has(module, 'weight'):
        nn.init.uniform_(module.weight, a, b)
    _init_bias(module, bias)


def kaiming_init(module: nn.Module, a: float = 0, mode: str = 'fan_out',
                 nonlinearity: str = 'relu', bias: float = 0,
                 distribution: str = 'normal') -> None:
    """Kaiming (He) init of the weight; mmcv's default mode is 'fan_out'."""
    _check_distribution(distribution)
    if _has(module, 'weight'):
        if distribution == 'uniform':
            nn.init.kaiming_uniform_(module.weight, a=a, mode=mode, nonlinearity=nonlinearity)
        else:
            nn.init.kaiming_normal_(module.weight, a=a, mode=mode, nonlinearity=nonlinearity)
    _init_bias(module, bias)


def caffe2_xavier_init(module: nn.Module, bias: float = 0) -> None:
    """Caffe2's "XavierFill": kaiming-uniform with a=1, fan_in (= U(+-sqrt(3/fan_in)))."""
    kaiming_init(module, a=1, mode='fan_in', nonlinearity='leaky_relu', bias=bias,
                 distribution='uniform')


def bias_init_with_prob(prior_prob: float) -> float:
    """The bias whose sigmoid is ``prior_prob``: ``-log((1 - p) / p)``."""
    if not 0 < prior_prob < 1:
        raise ValueError(f'prior_prob must be in (0, 1), but got {prior_prob}')
    return float(-math.log((1 - prior_prob) / prior_prob))
