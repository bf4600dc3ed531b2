"""Config loading for the command-line tools: ``load_config`` checks ``--cfg-options``
keys before they are merged, so a typo fails loudly.

``Config.merge_from_dict`` creates any key path that does not exist (that is
how options add new arguments), so ``data.samples_per_gpus=2`` would silently
change nothing. Here a new key is refused when it is close to an existing
one, or when it lands in a ``dict(type=...)`` whose class does not accept it.
"""
from __future__ import annotations

import inspect
import os.path as osp
import sys
from typing import Any, Optional

from .. import registry as _reg
from ..config import Config
from ..utils.suggest import did_you_mean

_REGISTRIES = ('MODELS', 'DATASETS', 'PIPELINES', 'HOOKS', 'RUNNERS', 'OPTIMIZERS',
               'BBOX_ASSIGNERS', 'BBOX_SAMPLERS', 'BBOX_CODERS', 'PRIOR_GENERATORS',
               'IOU_CALCULATORS', 'MATCH_COSTS', 'CONV_LAYERS', 'NORM_LAYERS',
               'ACTIVATION_LAYERS', 'UPSAMPLE_LAYERS', 'PLUGIN_LAYERS')


def _accepted_args(type_name: str) -> Optional[set]:
    """Constructor argument names of the registered class ``type_name``; None when
    unknown or when it takes ``**kwargs`` (anything may be accepted)."""
    for name in _REGISTRIES:
        reg = getattr(_reg, name, None)
        try:
            cls = reg.get(type_name) if reg is not None else None
        except Exception:  # a registry that cannot import its modules says so when built
            cls = None
        if cls is None:
            continue
        try:
            params = inspect.signature(cls).parameters.values()
        except (TypeError, ValueError):
            return None
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
            return None
        return {p.name for p in params}
    return None


def check_cfg_options(cfg: Any, options: Optional[dict], source: str = '--cfg-options') -> None:
    """Raise ``KeyError`` for option keys that are most likely typos.

    Args:
        cfg (Config | dict): the loaded config.
        options (dict): dotted key -> value, as ``DictAction`` parses them.
        source (str): named in the message (the CLI flag).
    """
    root = cfg._cfg_dict if hasattr(cfg, '_cfg_dict') else cfg  # Config wraps a ConfigDict
    for full_key in options or {}:
        node: Any = root
        keys = full_key.split('.')
        for depth, key in enumerate(keys):
            if isinstance(node, (list, tuple)):
                if not key.isdigit() or int(key) >= len(node):
                    break  # merge_from_dict names list-index errors itself
                node = node[int(key)]
                continue
            if not isinstance(node, dict):
                break
            if key in node:
                node = node[key]
                continue
            where = '.'.join(keys[:depth]) or '<root>'
            known = [k for k in node.keys() if isinstance(k, str)]
            type_name = node.get('type')
            accepted = _accepted_args(type_name) if isinstance(type_name, str) else None
            if accepted is not None and where == 'optimizer':
                accepted |= {'paramwise_cfg', 'constructor'}  # read by the optimizer builder
            if accepted is not None and where in ('data.train', 'data.val', 'data.test'):
                accepted |= {'samples_per_gpu'}  # MMDetection 2.x: read by the tools
            if accepted is not None:
                if key in accepted:
                    break
                raise KeyError(
                    f"{source}: '{full_key}': {type_name} (at '{where}') has no argument "
                    f"'{key}'{did_you_mean(key, sorted(accepted | set(known)))}; its "
                    f"arguments: {', '.join(sorted(accepted - {'self'}))}")
            hint = did_you_mean(key, known)
            if hint:
                raise KeyError(
                    f"{source}: '{full_key}': '{key}' is not a key of '{where}'{hint}. "
                    f"Its keys: {', '.join(known)}")
            break  # a genuinely new key: merge_from_dict creates it


def load_config(path: str, cfg_options: Optional[dict]) -> Config:
    """The config at ``path`` with ``cfg_options`` merged (typos refused)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file {path!r} does not exist')
    from .. import datasets, engine, models  # noqa: F401  (registries, to check option keys)
    cfg = Config.fromfile(path)
    if cfg_options:
        check_cfg_options(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    return cfg


def setup_multi_processes(cfg: Config) -> None:
    """OpenCV threads and the loader start method, as the config says (MMDetection)."""
    import cv2
    import torch.multiprocessing as mp
    start = cfg.get('mp_start_method', 'fork')
    if sys.platform != 'win32' and mp.get_start_method(allow_none=True) != start:
        mp.set_start_method(start, force=True)
    cv2.setNumThreads(cfg.get('opencv_num_threads', 0))


__all__ = ['check_cfg_options', 'load_config', 'setup_multi_processes']
