"""Building runners from ``runner = dict(type=..., max_epochs|max_iters)`` (mmcv 1.x API)."""

from __future__ import annotations

import copy
from typing import Any, Optional

from ..registry import RUNNER_BUILDERS, RUNNERS, build_from_cfg


@RUNNER_BUILDERS.register_module()
class DefaultRunnerConstructor:
    """Builds ``runner_cfg`` from the RUNNERS registry, ``default_args`` filling gaps.

    Args:
        runner_cfg (dict): e.g. ``dict(type='EpochBasedRunner', max_epochs=12)``.
        default_args (dict, optional): model, optimizer, work_dir, logger, meta.
    """

    def __init__(self, runner_cfg: dict, default_args: Optional[dict] = None):
        if not isinstance(runner_cfg, dict):
            raise TypeError(f'runner_cfg must be a dict, but got {type(runner_cfg).__name__}')
        self.runner_cfg = runner_cfg
        self.default_args = default_args

    def __call__(self) -> Any:
        return build_from_cfg(self.runner_cfg, RUNNERS, default_args=self.default_args)


def build_runner_constructor(cfg: dict) -> Any:
    return build_from_cfg(cfg, RUNNER_BUILDERS)


def build_runner(cfg: dict, default_args: Optional[dict] = None) -> Any:
    """Build a runner; ``cfg`` may name a ``constructor`` (default DefaultRunnerConstructor)."""
    runner_cfg = copy.deepcopy(dict(cfg))
    constructor_type = runner_cfg.pop('constructor', 'DefaultRunnerConstructor')
    constructor = build_runner_constructor(
        dict(type=constructor_type, runner_cfg=runner_cfg, default_args=default_args)
    )
    return constructor()
