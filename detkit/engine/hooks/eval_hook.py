"""EvalHook: evaluate on a validation loader during training; keep the best checkpoint."""

from __future__ import annotations

import bisect
import os
import os.path as osp
import warnings
from math import inf
from typing import Any, Callable, Optional, Sequence, Union

from ...registry import HOOKS
from ...utils.suggest import did_you_mean
from ..inference_loops import run_inference
from .hook import Hook
from .logger_hook import LoggerHook

RULES = {'greater': lambda x, y: x > y, 'less': lambda x, y: x < y}
INIT_VALUES = {'greater': -inf, 'less': inf}
DEFAULT_GREATER_KEYS = [
    'acc',
    'top',
    'AR@',
    'auc',
    'precision',
    'mAP',
    'mDice',
    'mIoU',
    'mAcc',
    'aAcc',
]
DEFAULT_LESS_KEYS = ['loss']


def infer_rule(key: str, greater_keys: Sequence[str], less_keys: Sequence[str]) -> str:
    """'greater' or 'less' for metric ``key``: exact match first, then substring (any case)."""
    k = key.lower()
    greater = [g.lower() for g in greater_keys]
    less = [s.lower() for s in less_keys]
    if k in greater:
        return 'greater'
    if k in less:
        return 'less'
    if any(g in k for g in greater):
        return 'greater'
    if any(s in k for s in less):
        return 'less'
    raise ValueError(
        f'Cannot infer the rule for key {key!r}, thus a specific rule must be '
        "specified: rule='greater' or rule='less'"
    )


@HOOKS.register_module()
class EvalHook(Hook):
    """Run inference on ``dataloader`` and ``dataset.evaluate`` it every ``interval``.

    Metrics go into ``runner.log_buffer.output`` (so the loggers print them).
    With ``save_best``, the checkpoint with the best value of that metric is
    kept as ``best_<metric>_epoch_N.pth`` (``_iter_N`` if not by_epoch); its
    path and score are remembered in ``runner.meta['hook_msgs']``.

    Args:
        dataloader (DataLoader): the validation loader.
        start (int, optional): first epoch/iteration to evaluate at; before
            training starts if ``runner.epoch >= start``.
        interval (int): evaluation interval.
        by_epoch (bool): count epochs (else iterations).
        save_best (str, optional): metric name, or 'auto' (the first metric returned).
        rule (str, optional): 'greater' or 'less'; inferred from the metric's name if None.
        test_fn (callable, optional): ``test_fn(model, dataloader) -> results``;
            default :func:`detkit.engine.run_inference`.
        greater_keys / less_keys (list[str], optional): replace the name
            fragments used to infer the rule.
        out_dir (str, optional): where the best checkpoint goes (default work_dir).
        dynamic_intervals (list[tuple[int, int]], optional): ``[(milestone, interval)]``:
            from epoch/iter ``milestone`` on, evaluate every ``interval``.
        **eval_kwargs: passed to ``dataset.evaluate`` (e.g. ``metric='bbox'``).
    """

    def __init__(
        self,
        dataloader: Any,
        start: Optional[int] = None,
        interval: int = 1,
        by_epoch: bool = True,
        save_best: Optional[str] = None,
        rule: Optional[str] = None,
        test_fn: Optional[Callable] = None,
        greater_keys: Union[str, Sequence[str], None] = None,
        less_keys: Union[str, Sequence[str], None] = None,
        out_dir: Optional[str] = None,
        dynamic_intervals: Optional[list] = None,
        **eval_kwargs: Any,
    ):
        name = type(self).__name__
        if not hasattr(dataloader, 'dataset'):
            raise TypeError(
                f'{name}: dataloader must be a DataLoader (with a .dataset), but '
                f'got {type(dataloader).__name__}'
            )
        if interval <= 0:
            raise ValueError(f'{name}: interval must be a positive number, but got {interval}')
        if start is not None and start < 0:
            raise ValueError(f'{name}: the evaluation start epoch {start} is smaller than 0')
        if rule is not None and rule not in RULES:
            raise KeyError(
                f'{name}: rule must be greater, less or None, but got {rule!r}'
                f'{did_you_mean(rule, RULES)}'
            )
        if save_best is not None and not isinstance(save_best, str):
            raise TypeError(
                f'{name}: save_best must be a str (a metric name or "auto"), but '
                f'got {type(save_best).__name__}'
            )
        self.dataloader = dataloader
        self.interval = interval
        self.start = start
        self.by_epoch = by_epoch
        self.test_fn = test_fn if test_fn is not None else run_inference
        self.greater_keys = list(
            DEFAULT_GREATER_KEYS
            if greater_keys is None
            else [greater_keys]
            if isinstance(greater_keys, str)
            else greater_keys
        )
        self.less_keys = list(
            DEFAULT_LESS_KEYS
            if less_keys is None
            else [less_keys]
            if isinstance(less_keys, str)
            else less_keys
        )
        self.save_best = save_best
        self.rule = rule
        self.key_indicator = save_best
        if save_best is not None and save_best != 'auto' and rule is None:
            self.rule = infer_rule(save_best, self.greater_keys, self.less_keys)
        self.out_dir = out_dir
        self.eval_kwargs = eval_kwargs
        self.initial_flag = True
        self.best_ckpt_path: Optional[str] = None
        self.latest_results: Optional[list] = None
        self.use_dynamic_intervals = dynamic_intervals is not None
        if self.use_dynamic_intervals:
            if not all(isinstance(d, (tuple, list)) and len(d) == 2 for d in dynamic_intervals):
                raise TypeError(
                    f'{name}: dynamic_intervals must be a list of (milestone, '
                    f'interval) tuples, but got {dynamic_intervals!r}'
                )
            self.dynamic_milestones = [0] + [d[0] for d in dynamic_intervals]
            self.dynamic_intervals = [interval] + [d[1] for d in dynamic_intervals]

    # -- schedule --------------------------------------------------------------------------
    def _decide_interval(self, runner: Any) -> None:
        if self.use_dynamic_intervals:
            progress = runner.epoch if self.by_epoch else runner.iter
            step = bisect.bisect(self.dynamic_milestones, progress + 1)
            self.interval = self.dynamic_intervals[step - 1]

    def _should_evaluate(self, runner: Any) -> bool:
        if self.by_epoch:
            current, check = runner.epoch, self.every_n_epochs
        else:
            current, check = runner.iter, self.every_n_iters
        if self.start is None:
            return check(runner, self.interval)
        if current + 1 < self.start:
            return False
        return (current + 1 - self.start) % self.interval == 0

    # -- hook stages -----------------------------------------------------------------------
    def before_run(self, runner: Any) -> None:
        if not self.out_dir:
            self.out_dir = runner.work_dir
        if self.save_best is not None:
            if runner.meta is None:
                warnings.warn(
                    'runner.meta is None; creating an empty one for save_best', stacklevel=2
                )
                runner.meta = {}
            runner.meta.setdefault('hook_msgs', {})
            self.best_ckpt_path = runner.meta['hook_msgs'].get('best_ckpt', None)

    def before_train_iter(self, runner: Any) -> None:
        self._decide_interval(runner)
        if self.by_epoch or not self.initial_flag:
            return
        if self.start is not None and runner.iter >= self.start:
            self.after_train_iter(runner)
        self.initial_flag = False

    def before_train_epoch(self, runner: Any) -> None:
        self._decide_interval(runner)
        if not (self.by_epoch and self.initial_flag):
            return
        if self.start is not None and runner.epoch >= self.start:
            self.after_train_epoch(runner)
        self.initial_flag = False

    def after_train_iter(self, runner: Any) -> None:
        if not self.by_epoch and self._should_evaluate(runner):
            # flush the training logs first, so they are not mixed with the metrics
            for hook in runner.hooks:
                if isinstance(hook, LoggerHook):
                    hook.after_train_iter(runner)
            runner.log_buffer.clear()
            self._do_evaluate(runner)

    def after_train_epoch(self, runner: Any) -> None:
        if self.by_epoch and self._should_evaluate(runner):
            self._do_evaluate(runner)

    # -- evaluation ------------------------------------------------------------------------
    def _do_evaluate(self, runner: Any) -> None:
        results = self.test_fn(runner.model, self.dataloader)
        self.latest_results = results
        runner.log_buffer.output['eval_iter_num'] = len(self.dataloader)
        key_score = self.evaluate(runner, results)
        if self.save_best and key_score is not None:
            self._save_ckpt(runner, key_score)

    def evaluate(self, runner: Any, results: list) -> Optional[float]:
        """``dataset.evaluate`` the results, log them; the save_best metric's value or None."""
        eval_res = self.dataloader.dataset.evaluate(
            results, logger=runner.logger, **self.eval_kwargs
        )
        for name, val in eval_res.items():
            runner.log_buffer.output[name] = val
        runner.log_buffer.ready = True
        if self.save_best is None:
            return None
        if not eval_res:
            warnings.warn(
                'Since `eval_res` is an empty dict, the behavior to save the best '
                'checkpoint will be skipped in this evaluation.',
                stacklevel=2,
            )
            return None
        if self.key_indicator == 'auto':
            self.key_indicator = next(iter(eval_res))
            if self.rule is None:
                self.rule = infer_rule(self.key_indicator, self.greater_keys, self.less_keys)
        if self.key_indicator not in eval_res:
            raise KeyError(
                f'{type(self).__name__}: save_best={self.key_indicator!r} is not a '
                f'metric of this evaluation{did_you_mean(self.key_indicator, eval_res)}'
                f'; metrics: {", ".join(eval_res)}'
            )
        return eval_res[self.key_indicator]

    def _save_ckpt(self, runner: Any, key_score: float) -> None:
        if self.by_epoch:
            current, cur_type, cur_time = f'epoch_{runner.epoch + 1}', 'epoch', runner.epoch + 1
        else:
            current, cur_type, cur_time = f'iter_{runner.iter + 1}', 'iter', runner.iter + 1
        best_score = runner.meta['hook_msgs'].get('best_score', INIT_VALUES[self.rule])
        if not RULES[self.rule](key_score, best_score):
            return
        # a plain float: numpy scalars would stop the checkpoint loading with weights_only
        runner.meta['hook_msgs']['best_score'] = float(key_score)
        if self.best_ckpt_path and osp.isfile(self.best_ckpt_path):
            os.remove(self.best_ckpt_path)
            runner.logger.info(f'The previous best checkpoint {self.best_ckpt_path} was removed')
        best_ckpt_name = f'best_{self.key_indicator}_{current}.pth'
        self.best_ckpt_path = osp.join(self.out_dir, best_ckpt_name)
        runner.meta['hook_msgs']['best_ckpt'] = self.best_ckpt_path
        runner.save_checkpoint(self.out_dir, filename_tmpl=best_ckpt_name, create_symlink=False)
        runner.logger.info(f'Now best checkpoint is saved as {best_ckpt_name}.')
        runner.logger.info(
            f'Best {self.key_indicator} is {key_score:0.4f} at {cur_time} {cur_type}.'
        )
