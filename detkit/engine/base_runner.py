"""BaseRunner: what the epoch- and iteration-based runners share (mmcv 1.x API).

The runner owns the model, the optimizer, the counters (epoch, iter,
inner_iter), the log buffer and an ordered list of hooks; the loop itself
lives in the subclasses. Everything optional (optimisation, LR schedules,
checkpoints, logging, evaluation) is a hook.
"""

from __future__ import annotations

import copy
import getpass
import logging
import os
import os.path as osp
import socket
import time
from contextlib import nullcontext
from typing import Any, ContextManager, Optional, Union

import torch
import torch.nn as nn
from torch.optim import Optimizer

from ..registry import HOOKS, build_from_cfg
from ..utils.checkpoint import load_checkpoint as _load_checkpoint_into
from ..utils.logging import get_root_logger
from ..utils.suggest import did_you_mean
from .checkpoint import atomic_symlink, save_checkpoint
from .dist_utils import get_dist_info
from .hooks.hook import Hook
from .log_buffer import LogBuffer
from .priority import Priority, get_priority, priority_name
from .rng_state import get_rng_state, set_rng_state
from .training_hooks import build_logger_hooks, build_policy_hook, build_typed_hook
from .utils import (
    gpu_count_from_config_text,
    group_momentum,
    model_device,
    param_group_values,
    to_device,
    unwrap_model,
)


class BaseRunner:
    """State and hook machinery of a training runner.

    Args:
        model (nn.Module): has ``train_step(data, optimizer)`` and
            ``val_step(data, optimizer)`` returning
            ``dict(loss=Tensor, log_vars=OrderedDict[str, float], num_samples=int)``.
        optimizer (Optimizer | dict[str, Optimizer], optional): the optimizer(s).
        work_dir (str, optional): where checkpoints and logs go (created).
        logger (logging.Logger, optional): defaults to the detkit root logger.
        meta (dict, optional): run information saved into checkpoints (env
            info, config text, seed, exp_name, ...).
        max_iters (int, optional): total iterations (IterBasedRunner).
        max_epochs (int, optional): total epochs (EpochBasedRunner).
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: Union[Optimizer, dict, None] = None,
        work_dir: Optional[str] = None,
        logger: Optional[logging.Logger] = None,
        meta: Optional[dict] = None,
        max_iters: Optional[int] = None,
        max_epochs: Optional[int] = None,
    ):
        if not callable(getattr(unwrap_model(model), 'train_step', None)):
            raise TypeError(
                f'{type(self).__name__}: the model '
                f'({type(unwrap_model(model)).__name__}) must define train_step()'
            )
        if meta is not None and not isinstance(meta, dict):
            raise TypeError(f'meta must be a dict or None, but got {type(meta).__name__}')
        if max_epochs is not None and max_iters is not None:
            raise ValueError(
                'only one of max_epochs and max_iters can be set, but got '
                f'max_epochs={max_epochs}, max_iters={max_iters}'
            )
        self.model = model
        self.optimizer = optimizer
        self.meta = meta
        self.logger = logger if logger is not None else get_root_logger()
        if isinstance(work_dir, str):
            self.work_dir: Optional[str] = osp.abspath(work_dir)
            os.makedirs(self.work_dir, exist_ok=True)
        elif work_dir is None:
            self.work_dir = None
        else:
            raise TypeError(f'work_dir must be a str or None, but got {type(work_dir).__name__}')
        self._model_name = type(unwrap_model(model)).__name__
        self._rank, self._world_size = get_dist_info()
        self.timestamp = time.strftime('%Y%m%d_%H%M%S', time.localtime())
        self.mode: Optional[str] = None
        self._hooks: list[Hook] = []
        self._epoch = 0
        self._iter = 0
        self._inner_iter = 0
        self._max_epochs = max_epochs
        self._max_iters = max_iters
        self.log_buffer = LogBuffer()
        self.outputs: dict = {}
        self.data_loader: Any = None
        # set by Fp16OptimizerHook: keyword arguments of torch.autocast for forward passes
        self.autocast: Optional[dict] = None

    # -- read-only state ------------------------------------------------------------------
    model_name = property(lambda self: self._model_name)
    rank = property(lambda self: self._rank)
    world_size = property(lambda self: self._world_size)
    hooks = property(lambda self: self._hooks)
    epoch = property(lambda self: self._epoch)
    iter = property(lambda self: self._iter)
    inner_iter = property(lambda self: self._inner_iter)
    max_epochs = property(lambda self: self._max_epochs)
    max_iters = property(lambda self: self._max_iters)

    # -- one step -------------------------------------------------------------------------
    def autocast_context(self) -> ContextManager:
        """The autocast context forward passes run in (a no-op unless fp16 is on)."""
        return torch.autocast(**self.autocast) if self.autocast else nullcontext()

    def run_iter(self, data_batch: dict, train_mode: bool, **kwargs: Any) -> None:
        """One forward (train_step or val_step) on ``data_batch``; stores ``self.outputs``."""
        data_batch = to_device(data_batch, model_device(self.model))
        name = 'train_step' if train_mode else 'val_step'
        step = getattr(self.model, name, None)
        if step is None:
            raise TypeError(f'a {name[:-5]} workflow phase needs {self._model_name}.{name}()')
        with self.autocast_context():
            outputs = step(data_batch, self.optimizer, **kwargs)
        if not isinstance(outputs, dict):
            raise TypeError(
                f'{self._model_name}.{"train" if train_mode else "val"}_step must '
                f'return a dict(loss, log_vars, num_samples), but got '
                f'{type(outputs).__name__}'
            )
        if 'log_vars' in outputs:
            self.log_buffer.update(outputs['log_vars'], outputs['num_samples'])
        self.outputs = outputs

    # -- hooks ----------------------------------------------------------------------------
    def register_hook(self, hook: Hook, priority: Union[int, str, Priority] = 'NORMAL') -> None:
        """Insert ``hook``; among equal priorities, hooks run in registration order."""
        if not isinstance(hook, Hook):
            raise TypeError(f'register_hook expects a Hook, but got {type(hook).__name__}')
        if hasattr(hook, 'priority'):
            raise ValueError(f'{type(hook).__name__}: "priority" is a reserved attribute of hooks')
        hook.priority = get_priority(priority)  # type: ignore[attr-defined]
        index = len(self._hooks)
        while index > 0 and hook.priority < self._hooks[index - 1].priority:  # type: ignore
            index -= 1
        self._hooks.insert(index, hook)

    def register_hook_from_cfg(self, hook_cfg: dict) -> None:
        """Build a hook from ``dict(type=..., priority='NORMAL', ...)`` and register it."""
        hook_cfg = copy.deepcopy(dict(hook_cfg))
        priority = hook_cfg.pop('priority', 'NORMAL')
        self.register_hook(build_from_cfg(hook_cfg, HOOKS), priority=priority)

    def call_hook(self, fn_name: str) -> None:
        """Call ``fn_name`` (e.g. 'after_train_iter') of every hook, in priority order."""
        if fn_name not in Hook.stages and fn_name not in Hook.generic_stages:
            stages = Hook.stages + Hook.generic_stages
            raise ValueError(
                f'unknown hook stage {fn_name!r}{did_you_mean(fn_name, stages)}; '
                f'stages: {", ".join(stages)}'
            )
        for hook in self._hooks:
            getattr(hook, fn_name)(self)

    def get_hook_info(self) -> str:
        """A table of which hook runs at which stage, in order (logged at start)."""
        lines = []
        for stage in Hook.stages:
            hooks = [h for h in self._hooks if stage in h.get_triggered_stages()]
            if hooks:
                lines.append(f'{stage}:')
                lines += [
                    f'({priority_name(h.priority):<12}) {type(h).__name__}'  # type: ignore
                    for h in hooks
                ]
                lines.append('-' * 20)
        return '\n'.join(lines)

    def register_training_hooks(
        self,
        lr_config: Any,
        optimizer_config: Any = None,
        checkpoint_config: Any = None,
        log_config: Any = None,
        momentum_config: Any = None,
        timer_config: Any = 'IterTimerHook',
        custom_hooks_config: Any = None,
    ) -> None:
        """Register the default training hooks from config dicts (or hook objects).

        Priorities as in mmcv: LR updater VERY_HIGH, momentum updater HIGH,
        optimizer ABOVE_NORMAL, checkpoint NORMAL, timer LOW, loggers VERY_LOW;
        custom hooks at their ``priority`` (default NORMAL).
        """
        self.register_lr_hook(lr_config)
        self.register_momentum_hook(momentum_config)
        self.register_optimizer_hook(optimizer_config)
        self.register_checkpoint_hook(checkpoint_config)
        self.register_timer_hook(timer_config)
        self.register_logger_hooks(log_config)
        self.register_custom_hooks(custom_hooks_config)

    # mmcv's per-kind registration methods, in register_training_hooks' order
    def register_lr_hook(self, lr_config: Any) -> None:
        """``dict(policy='step', ...)`` -> StepLrUpdaterHook, at VERY_HIGH."""
        self._register(build_policy_hook(lr_config, 'LrUpdaterHook'), 'VERY_HIGH')

    def register_momentum_hook(self, momentum_config: Any) -> None:
        """``dict(policy='cyclic', ...)`` -> CyclicMomentumUpdaterHook, at HIGH."""
        self._register(build_policy_hook(momentum_config, 'MomentumUpdaterHook'), 'HIGH')

    def register_optimizer_hook(self, optimizer_config: Any) -> None:
        """``dict(grad_clip=...)`` -> OptimizerHook (or the given type), at ABOVE_NORMAL."""
        self._register(build_typed_hook(optimizer_config, 'OptimizerHook'), 'ABOVE_NORMAL')

    def register_checkpoint_hook(self, checkpoint_config: Any) -> None:
        """``dict(interval=1)`` -> CheckpointHook, at NORMAL."""
        self._register(build_typed_hook(checkpoint_config, 'CheckpointHook'), 'NORMAL')

    def register_timer_hook(self, timer_config: Any) -> None:
        """``'IterTimerHook'`` or ``dict(type='IterTimerHook')``, at LOW."""
        if isinstance(timer_config, str):
            timer_config = dict(type=timer_config)
        self._register(build_typed_hook(timer_config, 'IterTimerHook'), 'LOW')

    def register_logger_hooks(self, log_config: Any) -> None:
        """``dict(interval=50, hooks=[dict(type='TextLoggerHook')])``, each at VERY_LOW."""
        for hook in build_logger_hooks(log_config):
            self.register_hook(hook, priority='VERY_LOW')

    def register_custom_hooks(self, custom_config: Any) -> None:
        """A list of hook configs (``priority`` key, default NORMAL) or hook objects."""
        if custom_config is None:
            return
        if isinstance(custom_config, dict):
            custom_config = [custom_config]
        for item in custom_config:
            if isinstance(item, Hook):
                self.register_hook(item, priority='NORMAL')
            else:
                self.register_hook_from_cfg(item)

    def _register(self, hook: Optional[Hook], priority: str) -> None:
        if hook is not None:
            self.register_hook(hook, priority=priority)

    # -- optimizer state ------------------------------------------------------------------
    def current_lr(self) -> Union[list, dict]:
        """The lr of every param group (a dict of lists for a dict of optimizers)."""
        return param_group_values(self._require_optimizer('lr'), lambda g: g['lr'])

    def current_momentum(self) -> Union[list, dict]:
        """The momentum (SGD) or beta1 (Adam family) of every param group; 0 if neither."""
        return param_group_values(self._require_optimizer('momentum'), group_momentum)

    def _require_optimizer(self, what: str) -> Union[Optimizer, dict]:
        if self.optimizer is None:
            raise RuntimeError(f'{type(self).__name__} has no optimizer: {what} is undefined')
        return self.optimizer

    # -- checkpoints ----------------------------------------------------------------------
    def _save(
        self,
        out_dir: str,
        filename: str,
        save_optimizer: bool,
        meta: Optional[dict],
        create_symlink: bool,
        counters: dict,
    ) -> None:
        if meta is None:
            meta = {}
        elif not isinstance(meta, dict):
            raise TypeError(f'meta must be a dict or None, but got {type(meta).__name__}')
        if self.meta is not None:
            meta.update(self.meta)
        # counters after self.meta, so a resumed run's old counters do not win (mmcv #1108)
        meta.update(counters)
        meta['rng_state'] = get_rng_state()
        filepath = osp.join(out_dir, filename)
        optimizer = self.optimizer if save_optimizer else None
        save_checkpoint(self.model, filepath, optimizer=optimizer, meta=meta)
        if create_symlink:
            atomic_symlink(filename, osp.join(out_dir, 'latest.pth'))

    def load_checkpoint(
        self,
        filename: str,
        map_location: Any = 'cpu',
        strict: bool = False,
        revise_keys: list = [(r'^module\.', '')],  # noqa: B006 (mmcv's default)
        weights_only: bool = True,
    ) -> dict:
        """Load weights from ``filename`` into the model; returns the checkpoint.

        ``weights_only=False`` unpickles arbitrary objects: only for files you trust.
        """
        self.logger.info('load checkpoint from %s', filename)
        return _load_checkpoint_into(
            self.model,
            filename,
            map_location,
            strict,
            self.logger,
            revise_keys=revise_keys,
            weights_only=weights_only,
        )

    def resume(
        self,
        checkpoint: str,
        resume_optimizer: bool = True,
        map_location: Any = 'default',
        weights_only: bool = True,
    ) -> None:
        """Continue a run from ``checkpoint``: weights, counters, optimizer, meta, RNG states."""
        if map_location == 'default':
            map_location = (
                torch.device('cuda', torch.cuda.current_device())
                if torch.cuda.is_available()
                else 'cpu'
            )
        ckpt = self.load_checkpoint(
            checkpoint, map_location=map_location, weights_only=weights_only
        )
        if 'meta' not in ckpt or 'epoch' not in ckpt['meta'] or 'iter' not in ckpt['meta']:
            raise KeyError(
                f'cannot resume from {checkpoint}: its meta has no epoch/iter '
                f'counters (keys: {sorted(ckpt.get("meta", {}))}); to start from its '
                'weights only, use load_from instead of resume_from'
            )
        meta = dict(ckpt['meta'])
        self._epoch = meta['epoch']
        self._iter = meta['iter']
        previous = gpu_count_from_config_text(meta.get('config'))
        if previous is not None and previous != self.world_size:
            # the same number of images seen, in iterations of the new total batch size
            self._iter = int(self._iter * previous / self.world_size)
            self.logger.info('the iteration number is changed due to change of GPU number')
        rng_state = meta.pop('rng_state', None)
        hook_msgs = dict((self.meta or {}).get('hook_msgs', {}))
        hook_msgs.update(meta.get('hook_msgs', {}))
        self.meta = meta
        self.meta['hook_msgs'] = hook_msgs
        if 'optimizer' in ckpt and resume_optimizer:
            if isinstance(self.optimizer, Optimizer):
                self.optimizer.load_state_dict(ckpt['optimizer'])
            elif isinstance(self.optimizer, dict):
                for k, optim in self.optimizer.items():
                    optim.load_state_dict(ckpt['optimizer'][k])
            else:
                raise TypeError(
                    'optimizer must be an Optimizer or a dict of them to resume '
                    f'its state, but got {type(self.optimizer).__name__}'
                )
        if rng_state is not None:
            set_rng_state(rng_state)
        self.logger.info('resumed epoch %d, iter %d', self.epoch, self.iter)

    def _log_start(self, workflow: list, limit: str) -> None:
        self.logger.info(
            'Start running, host: %s@%s, work_dir: %s',
            _user(),
            socket.gethostname(),
            self.work_dir,
        )
        self.logger.info('Hooks will be executed in the following order:\n%s', self.get_hook_info())
        self.logger.info('workflow: %s, max: %s', workflow, limit)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (e.g. an arbitrary uid in a container)
        return os.environ.get('USER', 'unknown')
