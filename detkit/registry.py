"""The registry: maps the ``type`` names of config dicts to classes and builds them.

The registries keep MMDetection 2.x's names (``MODELS`` with ``BACKBONES``,
``NECKS``, ``HEADS``, ... as aliases of it, ``BBOX_ASSIGNERS``, ``PIPELINES``,
...), so that ``dict(type='RetinaNet', ...)`` in an MMDetection config builds
our ``RetinaNet``. A type name may carry a scope prefix: ``mmdet.RetinaNet``,
``mmcv.ConvModule`` and ``detkit.RetinaNet`` all resolve to detkit's class.

A registry may name ``locations``: the packages that define its components.
They are imported the first time the registry is asked for a name, so that a
user who builds a model from a config needs no ``import detkit.models`` first.
Nothing registers as a side effect of importing this module.
"""
from __future__ import annotations

import importlib
import inspect
from typing import Any, Callable, Iterable, Optional, Union

from .utils.suggest import did_you_mean

#: Scope prefixes that resolve to detkit's own registries.
KNOWN_SCOPES = ('detkit', 'mmdet', 'mmcv')


def _source(cfg: Any) -> str:
    """Where ``cfg`` came from ("in configs/x.py: model.bbox_head"), or ''."""
    try:
        from .config import describe_source
    except ImportError:  # the config package is optional for the registry
        return ''
    try:
        return describe_source(cfg)
    except Exception:  # a description must never hide the real error
        return ''


def _with_source(msg: str, cfg: Any) -> str:
    src = _source(cfg)
    return f'{msg} — {src}' if src else msg


def _check_arguments(obj_cls: type, args: dict, cfg: Any) -> None:
    """Reject keyword arguments that ``obj_cls`` cannot take, before calling it.

    Raises a ``TypeError`` naming the class, the bad argument, the closest
    accepted one and the full list of accepted arguments.
    """
    try:
        sig = inspect.signature(obj_cls)
    except (TypeError, ValueError):  # builtins without a signature
        return
    params = sig.parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    accepted = [n for n, p in params.items()
                if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                              inspect.Parameter.KEYWORD_ONLY)]
    unknown = [k for k in args if k not in accepted]
    if unknown:
        bad = unknown[0]
        msg = (f'{obj_cls.__name__} got an unexpected argument {bad!r}'
               f'{did_you_mean(bad, accepted)}; accepted arguments: {", ".join(accepted)}')
        if len(unknown) > 1:
            msg += f' (other unexpected arguments: {", ".join(unknown[1:])})'
        raise TypeError(_with_source(msg, cfg))
    missing = [n for n, p in params.items()
               if p.default is inspect.Parameter.empty and n not in args
               and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                              inspect.Parameter.KEYWORD_ONLY)]
    if missing:
        raise TypeError(_with_source(
            f'{obj_cls.__name__} is missing required argument(s): {", ".join(missing)}', cfg))


def build_from_cfg(cfg: dict, registry: 'Registry', default_args: Optional[dict] = None) -> Any:
    """Build an object from a config dict.

    Args:
        cfg (dict): must hold ``type`` (a registered name or a class), unless
            ``default_args`` does; the other keys are constructor arguments.
        registry (Registry): where ``type`` is looked up.
        default_args (dict, optional): arguments used where ``cfg`` has none.

    Returns:
        The constructed object.
    """
    if not isinstance(cfg, dict):
        raise TypeError(f'cfg must be a dict, but got {type(cfg).__name__}: {cfg!r}')
    if default_args is not None and not isinstance(default_args, dict):
        raise TypeError(f'default_args must be a dict or None, but got {type(default_args)}')
    if 'type' not in cfg and (default_args is None or 'type' not in default_args):
        raise KeyError(_with_source(
            f'a config for the {registry.name} registry must have the key "type", '
            f'but got keys {sorted(cfg)}', cfg))
    if not isinstance(registry, Registry):
        raise TypeError(f'registry must be a Registry, but got {type(registry)}')

    args = dict(cfg)
    if default_args is not None:
        for name, value in default_args.items():
            args.setdefault(name, value)
    obj_type = args.pop('type')
    if isinstance(obj_type, str):
        obj_cls = registry.get(obj_type)
        if obj_cls is None:
            raise KeyError(_with_source(
                f'{obj_type!r} is not in the {registry.name} registry'
                f'{did_you_mean(obj_type.split(".")[-1], registry.module_dict)}', cfg))
    elif inspect.isclass(obj_type) or callable(obj_type):
        obj_cls = obj_type
    else:
        raise TypeError(_with_source(
            f'type must be a str or a class, but got {type(obj_type).__name__}', cfg))

    _check_arguments(obj_cls, args, cfg)
    try:
        return obj_cls(**args)
    except Exception as e:
        name = getattr(obj_cls, '__name__', str(obj_cls))
        src = _source(cfg)
        if src and src not in str(e):
            # keep the exception type so callers can still catch it
            try:
                err = type(e)(f'{name}: {e} — {src}')
            except Exception:
                raise e from None
            raise err.with_traceback(e.__traceback__) from e
        raise


class Registry:
    """A name -> class mapping with a build function.

    Args:
        name (str): registry name, used in messages.
        build_func (callable, optional): ``build_func(cfg, registry=self, **kw)``.
            Defaults to the parent's, else :func:`build_from_cfg`.
        parent (Registry, optional): looked up when a name is not found here.
        scope (str, optional): scope of this registry; defaults to 'detkit'.
        locations (list[str], optional): packages imported on first lookup,
            which register this registry's components.
    """

    def __init__(self, name: str, build_func: Optional[Callable] = None,
                 parent: Optional['Registry'] = None, scope: Optional[str] = None,
                 locations: Optional[Iterable[str]] = None):
        self._name = name
        self._module_dict: dict[str, type] = {}
        self._children: dict[str, Registry] = {}
        self._scope = scope or 'detkit'
        self._locations = list(locations or [])
        self._imported = False
        self.parent = parent
        if parent is not None:
            parent._add_children(self)
        if build_func is None:
            build_func = parent.build_func if parent is not None else build_from_cfg
        self.build_func = build_func

    # -- introspection ----------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def scope(self) -> str:
        return self._scope

    @property
    def children(self) -> dict:
        return self._children

    @property
    def module_dict(self) -> dict[str, type]:
        self._import_locations()
        return self._module_dict

    def __len__(self) -> int:
        return len(self.module_dict)

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(name={self._name}, items={len(self._module_dict)})'

    def _add_children(self, registry: 'Registry') -> None:
        key = f'{registry.scope}.{registry.name}'
        if key in self._children:
            raise KeyError(f'a child registry {key!r} exists already in {self._name!r}')
        self._children[key] = registry

    def _import_locations(self) -> None:
        if self._imported:
            return
        self._imported = True  # set first: the imports below register into us
        try:
            for loc in self._locations:
                importlib.import_module(loc)
        except BaseException:
            self._imported = False  # ask again next time rather than stay half-filled
            raise

    @staticmethod
    def split_scope_key(key: str) -> tuple[Optional[str], str]:
        """``'mmdet.RetinaNet'`` -> ``('mmdet', 'RetinaNet')``; no scope -> ``(None, key)``."""
        scope, dot, rest = key.partition('.')
        if dot and scope in KNOWN_SCOPES:
            return scope, rest
        return None, key

    # -- lookup and build --------------------------------------------------------------
    def get(self, key: str) -> Optional[type]:
        """The class registered under ``key`` (scope prefix allowed), else None."""
        _, real_key = self.split_scope_key(key)
        self._import_locations()
        if real_key in self._module_dict:
            return self._module_dict[real_key]
        if self.parent is not None:
            return self.parent.get(real_key)
        return None

    def build(self, cfg: Any, *args: Any, **kwargs: Any) -> Any:
        return self.build_func(cfg, *args, **kwargs, registry=self)

    # -- registration ------------------------------------------------------------------
    def _register_module(self, module: Any, module_name: Union[str, list, None] = None,
                         force: bool = False) -> None:
        if not (inspect.isclass(module) or inspect.isfunction(module)):
            raise TypeError(f'module must be a class or a function, but got {type(module)}')
        if module_name is None:
            module_name = module.__name__
        names = [module_name] if isinstance(module_name, str) else list(module_name)
        for name in names:
            if not force and name in self._module_dict:
                prev = self._module_dict[name]
                raise KeyError(
                    f'{name!r} is already registered in the {self._name} registry '
                    f'(by {prev.__module__}.{prev.__qualname__}); pass force=True to replace it')
            self._module_dict[name] = module

    def register_module(self, name: Union[str, list, None] = None, force: bool = False,
                        module: Any = None) -> Any:
        """Register a class or function, as a decorator or a call.

        ``@REG.register_module()``, ``@REG.register_module(name='X')``,
        ``REG.register_module(module=SomeClass)``.
        """
        if not isinstance(force, bool):
            raise TypeError(f'force must be a bool, but got {type(force)}')
        if not (name is None or isinstance(name, str)
                or (isinstance(name, (list, tuple)) and all(isinstance(n, str) for n in name))):
            raise TypeError(f'name must be None, a str or a list of str, but got {type(name)}')
        if module is not None:
            self._register_module(module, name, force)
            return module

        def _register(cls: Any) -> Any:
            self._register_module(cls, name, force)
            return cls

        return _register


def build_model_from_cfg(cfg: Any, registry: Registry, default_args: Optional[dict] = None) -> Any:
    """Build a model; a list of configs becomes an ``nn.Sequential`` of them."""
    if isinstance(cfg, list):
        import torch.nn as nn
        return nn.Sequential(*[build_from_cfg(c, registry, default_args) for c in cfg])
    return build_from_cfg(cfg, registry, default_args)


# ------------------------------------------------------------------------------------------
# The registries. Models share one registry, as in MMDetection 2.x, so a detector's
# parts can be built from any of the aliases.
MODELS = Registry('models', build_func=build_model_from_cfg, locations=['detkit.models'])
BACKBONES = MODELS
NECKS = MODELS
ROI_EXTRACTORS = MODELS
SHARED_HEADS = MODELS
HEADS = MODELS
LOSSES = MODELS
DETECTORS = MODELS
# building blocks (ConvModule's conv/norm/act/upsample layers, plugins)
CONV_LAYERS = Registry('conv layer', locations=['detkit.models.layers'])
NORM_LAYERS = Registry('norm layer', locations=['detkit.models.layers'])
ACTIVATION_LAYERS = Registry('activation layer', locations=['detkit.models.layers'])
UPSAMPLE_LAYERS = Registry('upsample layer', locations=['detkit.models.layers'])
PLUGIN_LAYERS = Registry('plugin layer', locations=['detkit.models.layers'])
# task modules
BBOX_ASSIGNERS = Registry('bbox_assigner', locations=['detkit.models.task_modules'])
BBOX_SAMPLERS = Registry('bbox_sampler', locations=['detkit.models.task_modules'])
BBOX_CODERS = Registry('bbox_coder', locations=['detkit.models.task_modules'])
PRIOR_GENERATORS = Registry('prior generator', locations=['detkit.models.task_modules'])
ANCHOR_GENERATORS = PRIOR_GENERATORS
IOU_CALCULATORS = Registry('IoU calculator', locations=['detkit.models.task_modules'])
MATCH_COSTS = Registry('match cost', locations=['detkit.models.task_modules'])
# data
DATASETS = Registry('dataset', locations=['detkit.datasets'])
PIPELINES = Registry('pipeline', locations=['detkit.datasets.pipelines'])
# engine
HOOKS = Registry('hook', locations=['detkit.engine'])
RUNNERS = Registry('runner', locations=['detkit.engine'])
RUNNER_BUILDERS = Registry('runner builder', locations=['detkit.engine'])
OPTIMIZERS = Registry('optimizer', locations=['detkit.engine'])
OPTIMIZER_BUILDERS = Registry('optimizer builder', locations=['detkit.engine'])
