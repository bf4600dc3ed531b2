"""Building the standard training hooks from their config sections (mmcv 1.x rules).

``lr_config = dict(policy='step', ...)`` names ``StepLrUpdaterHook``: an
all-lowercase policy is capitalised ('step' -> 'Step', 'cyclic' -> 'Cyclic'),
a policy with capitals ('CosineAnnealing', 'YOLOX') is used as written, then
'LrUpdaterHook' (or 'MomentumUpdaterHook') is appended.
"""

from __future__ import annotations

import copy
from typing import Any, Optional

from ..registry import HOOKS, build_from_cfg
from .hooks.hook import Hook


def build_policy_hook(cfg: Any, suffix: str) -> Optional[Hook]:
    """A schedule hook from ``dict(policy=..., ...)``; None for None; a Hook as is."""
    if cfg is None or isinstance(cfg, Hook):
        return cfg
    cfg = copy.deepcopy(dict(cfg))
    if 'policy' not in cfg:
        raise KeyError(
            f'a {suffix[:-4]} config needs a "policy" key (e.g. policy=\'step\'), but got keys '
            f'{sorted(cfg)}'
        )
    policy = cfg.pop('policy')
    if policy == policy.lower():
        policy = policy.title()
    cfg['type'] = policy + suffix
    return build_from_cfg(cfg, HOOKS)


def build_typed_hook(cfg: Any, default_type: str) -> Optional[Hook]:
    """A hook from its config section, ``type`` defaulting to ``default_type``."""
    if cfg is None or isinstance(cfg, Hook):
        return cfg
    cfg = copy.deepcopy(dict(cfg))
    cfg.setdefault('type', default_type)
    return build_from_cfg(cfg, HOOKS)


def build_logger_hooks(log_config: Any) -> list:
    """The hooks of ``log_config['hooks']``, each defaulting to ``log_config['interval']``."""
    if log_config is None:
        return []
    if 'hooks' not in log_config:
        raise KeyError(
            "log_config needs a 'hooks' list, e.g. "
            "log_config = dict(interval=50, hooks=[dict(type='TextLoggerHook')])"
        )
    default_args = dict(interval=log_config['interval']) if 'interval' in log_config else None
    return [
        build_from_cfg(dict(info), HOOKS, default_args=default_args) for info in log_config['hooks']
    ]
