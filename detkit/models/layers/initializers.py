"""``init_cfg`` initializers (Constant, Xavier, Normal, ...) and ``initialize``.

Semantics follow mmcv 1.x ("Tutorial 10: Weight initialization"): an init
config names the layer classes it touches with ``layer`` (a layer matches by
its class name or the name of a direct base class) and may ``override`` named
sub-modules; ``bias_prob`` sets the bias to ``bias_init_with_prob(bias_prob)``.
"""
from __future__ import annotations

import copy
from typing import Optional, Union

import torch.nn as nn

from ...registry import Registry, build_from_cfg
from .weight_init import (
    bias_init_with_prob,
    constant_init,
    kaiming_init,
    normal_init,
    trunc_normal_init,
    uniform_init,
    xavier_init,
)

#: The initializers an ``init_cfg`` may name by ``type``.
INITIALIZERS = Registry('initializer')


def _layer_names(m: nn.Module) -> set:
    return {m.__class__.__name__} | {b.__name__ for b in m.__class__.__bases__}


class _BaseInit:
    """Common arguments: ``bias`` (a constant), ``bias_prob`` (overrides ``bias``),
    ``layer`` (class names to initialise)."""

    def __init__(self, *, bias: float = 0, bias_prob: Optional[float] = None,
                 layer: Union[str, list, None] = None):
        self.wholemodule = False
        name = type(self).__name__
        if not isinstance(bias, (int, float)):
            raise TypeError(f'{name}: bias must be a number, but got {type(bias).__name__}')
        if bias_prob is not None and not isinstance(bias_prob, float):
            raise TypeError(f'{name}: bias_prob must be a float, '
                            f'but got {type(bias_prob).__name__}')
        if layer is not None and not isinstance(layer, (str, list, tuple)):
            raise TypeError(f'{name}: layer must be a str or a list of str, '
                            f'but got {type(layer).__name__}')
        self.bias = bias_init_with_prob(bias_prob) if bias_prob is not None else bias
        if layer is None:
            layer = []
        self.layer = [layer] if isinstance(layer, str) else list(layer)

    def _init_one(self, m: nn.Module) -> None:
        raise TypeError(f'{type(self).__name__} does not define how to initialise a layer')

    def __call__(self, module: nn.Module) -> None:
        layers = set(self.layer)

        def init(m: nn.Module) -> None:
            if self.wholemodule or layers & _layer_names(m):
                self._init_one(m)

        module.apply(init)


@INITIALIZERS.register_module(name='Constant')
class ConstantInit(_BaseInit):
    """Weight = ``val``, bias = ``bias``."""

    def __init__(self, val: float, **kwargs):
        super().__init__(**kwargs)
        self.val = val

    def _init_one(self, m: nn.Module) -> None:
        constant_init(m, self.val, self.bias)


@INITIALIZERS.register_module(name='Xavier')
class XavierInit(_BaseInit):
    """Xavier init with ``gain`` and ``distribution`` ('normal' | 'uniform')."""

    def __init__(self, gain: float = 1, distribution: str = 'normal', **kwargs):
        super().__init__(**kwargs)
        self.gain = gain
        self.distribution = distribution

    def _init_one(self, m: nn.Module) -> None:
        xavier_init(m, self.gain, self.bias, self.distribution)


@INITIALIZERS.register_module(name='Normal')
class NormalInit(_BaseInit):
    """Weight ~ N(mean, std^2)."""

    def __init__(self, mean: float = 0, std: float = 1, **kwargs):
        super().__init__(**kwargs)
        self.mean = mean
        self.std = std

    def _init_one(self, m: nn.Module) -> None:
        normal_init(m, self.mean, self.std, self.bias)


@INITIALIZERS.register_module(name='TruncNormal')
class TruncNormalInit(_BaseInit):
    """Weight ~ N(mean, std^2) truncated to ``[a, b]``."""

    def __init__(self, mean: float = 0, std: float = 1, a: float = -2, b: float = 2, **kwargs):
        super().__init__(**kwargs)
        self.mean = mean
        self.std = std
        self.a = a
        self.b = b

    def _init_one(self, m: nn.Module) -> None:
        trunc_normal_init(m, self.mean, self.std, self.a, self.b, self.bias)


@INITIALIZERS.register_module(name='Uniform')
class UniformInit(_BaseInit):
    """Weight ~ U(a, b)."""

    def __init__(self, a: float = 0, b: float = 1, **kwargs):
        super().__init__(**kwargs)
        self.a = a
        self.b = b

    def _init_one(self, m: nn.Module) -> None:
        uniform_init(m, self.a, self.b, self.bias)


@INITIALIZERS.register_module(name='Kaiming')
class KaimingInit(_BaseInit):
    """Kaiming init (``a``, ``mode``, ``nonlinearity``, ``distribution``)."""

    def __init__(self, a: float = 0, mode: str = 'fan_out', nonlinearity: str = 'relu',
                 distribution: str = 'normal', **kwargs):
        super().__init__(**kwargs)
        self.a = a
        self.mode = mode
        self.nonlinearity = nonlinearity
        self.distribution = distribution

    def _init_one(self, m: nn.Module) -> None:
        kaiming_init(m, self.a, self.mode, self.nonlinearity, self.bias, self.distribution)


@INITIALIZERS.register_module(name='Caffe2Xavier')
class Caffe2XavierInit(KaimingInit):
    """Caffe2's XavierFill: Kaiming uniform, a=1, fan_in, leaky_relu gain."""

    def __init__(self, **kwargs):
        super().__init__(a=1, mode='fan_in', nonlinearity='leaky_relu',
                         distribution='uniform', **kwargs)


@INITIALIZERS.register_module(name='Pretrained')
class PretrainedInit:
    """Load weights from ``checkpoint`` (a path or URL, see ``load_checkpoint``).

    Args:
        checkpoint (str): file or ``torchvision://``/``open-mmlab://``/http(s) URL.
        prefix (str, optional): keep only the keys starting with ``prefix`` and
            strip it (``'backbone.'`` loads a detector's backbone into a backbone).
        map_location (str, optional): passed to ``torch.load``; None reads to CPU.
    """

    def __init__(self, checkpoint: str, prefix: Optional[str] = None,
                 map_location: Optional[str] = None):
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.map_location = map_location
        self.wholemodule = False

    def __call__(self, module: nn.Module) -> None:
        from ...utils.checkpoint import (
            _load_checkpoint_with_prefix,
            load_checkpoint,
            load_state_dict,
        )
        # load_state_dict copies into the module's own device, so reading to CPU changes
        # nothing but lets a GPU-saved file load on a CPU-only machine
        map_location = self.map_location or 'cpu'
        if self.prefix is None:
            load_checkpoint(module, self.checkpoint, map_location=map_location, strict=False)
        else:
            state_dict = _load_checkpoint_with_prefix(self.prefix, self.checkpoint,
                                                      map_location=map_location)
            load_state_dict(module, state_dict, strict=False)


def _initialize(module: nn.Module, cfg: dict, wholemodule: bool = False) -> None:
    func = build_from_cfg(cfg, INITIALIZERS)
    # an override initialises the named sub-module whole, whatever its layer types
    func.wholemodule = wholemodule
    func(module)


def _initialize_override(module: nn.Module, override: Union[dict, list], cfg: dict) -> None:
    overrides = [override] if isinstance(override, dict) else override
    if not isinstance(overrides, (list, tuple)):
        raise TypeError(f'override must be a dict or a list of dicts, but got {type(override)}')
    for item in overrides:
        cp = dict(copy.deepcopy(item))
        name = cp.pop('name', None)
        if name is None:
            raise ValueError(f'`override` must contain the key "name", but got {item}')
        if not cp:
            # only a name: initialise that sub-module with the parent's initializer
            cp.update(cfg)
        elif 'type' not in cp:
            raise ValueError(f'`override` needs "type" when it gives more than "name", '
                             f'but got {item}')
        if not hasattr(module, name):
            children = [n for n, _ in module.named_children()]
            from ...utils.suggest import did_you_mean
            raise RuntimeError(f'{module.__class__.__name__} has no sub-module {name!r}'
                               f'{did_you_mean(name, children)} to override; children: '
                               f'{", ".join(children)}')
        _initialize(getattr(module, name), cp, wholemodule=True)


def initialize(module: nn.Module, init_cfg: Union[dict, list]) -> None:
    """Initialise ``module`` as ``init_cfg`` (a dict or a list of dicts) says.

    Example:
        >>> initialize(model, dict(type='Constant', layer='Conv2d', val=1, bias=2,
        ...                        override=dict(type='Constant', name='reg', val=3)))
    """
    if not isinstance(init_cfg, (dict, list)):
        raise TypeError(f'init_cfg must be a dict or a list of dicts, but got {type(init_cfg)}')
    cfgs = [init_cfg] if isinstance(init_cfg, dict) else init_cfg
    for cfg in cfgs:
        cp = dict(copy.deepcopy(cfg))
        override = cp.pop('override', None)
        _initialize(module, cp)
        if override is not None:
            cp.pop('layer', None)
            _initialize_override(module, override, cp)
