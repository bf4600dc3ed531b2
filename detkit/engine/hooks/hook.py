"""Hook: the base class of everything the runner calls around its loop (mmcv 1.x API)."""

from __future__ import annotations

from typing import Any


class Hook:
    """A plain object whose methods the runner calls at fixed points of training.

    The runner calls ``before_run``; then, per epoch, ``before_train_epoch``,
    per iteration ``before_train_iter`` / ``after_train_iter``, then
    ``after_train_epoch`` (and the ``*_val_*`` methods in a val workflow);
    finally ``after_run``. The train/val methods default to the mode-free
    ``before_epoch`` / ``after_epoch`` / ``before_iter`` / ``after_iter``, so a
    hook that does the same in both modes overrides only those.
    """

    stages = (
        'before_run',
        'before_train_epoch',
        'before_train_iter',
        'after_train_iter',
        'after_train_epoch',
        'before_val_epoch',
        'before_val_iter',
        'after_val_iter',
        'after_val_epoch',
        'after_run',
    )
    generic_stages = ('before_epoch', 'after_epoch', 'before_iter', 'after_iter')

    def before_run(self, runner: Any) -> None:
        pass

    def after_run(self, runner: Any) -> None:
        pass

    def before_epoch(self, runner: Any) -> None:
        pass

    def after_epoch(self, runner: Any) -> None:
        pass

    def before_iter(self, runner: Any) -> None:
        pass

    def after_iter(self, runner: Any) -> None:
        pass

    def before_train_epoch(self, runner: Any) -> None:
        self.before_epoch(runner)

    def before_val_epoch(self, runner: Any) -> None:
        self.before_epoch(runner)

    def after_train_epoch(self, runner: Any) -> None:
        self.after_epoch(runner)

    def after_val_epoch(self, runner: Any) -> None:
        self.after_epoch(runner)

    def before_train_iter(self, runner: Any) -> None:
        self.before_iter(runner)

    def before_val_iter(self, runner: Any) -> None:
        self.before_iter(runner)

    def after_train_iter(self, runner: Any) -> None:
        self.after_iter(runner)

    def after_val_iter(self, runner: Any) -> None:
        self.after_iter(runner)

    # -- schedule predicates (epoch/iter counters start at 0 and are bumped after the hooks)
    @staticmethod
    def every_n_epochs(runner: Any, n: int) -> bool:
        return (runner.epoch + 1) % n == 0 if n > 0 else False

    @staticmethod
    def every_n_inner_iters(runner: Any, n: int) -> bool:
        return (runner.inner_iter + 1) % n == 0 if n > 0 else False

    @staticmethod
    def every_n_iters(runner: Any, n: int) -> bool:
        return (runner.iter + 1) % n == 0 if n > 0 else False

    @staticmethod
    def end_of_epoch(runner: Any) -> bool:
        return runner.inner_iter + 1 == len(runner.data_loader)

    @staticmethod
    def is_last_epoch(runner: Any) -> bool:
        return runner.epoch + 1 == runner.max_epochs

    @staticmethod
    def is_last_iter(runner: Any) -> bool:
        return runner.iter + 1 == runner.max_iters

    def get_triggered_stages(self) -> list:
        """The stages at which this hook does something (for the runner's hook table)."""
        # a generic method counts for the stages that default to it
        generic = {
            'before_epoch': ('before_train_epoch', 'before_val_epoch'),
            'after_epoch': ('after_train_epoch', 'after_val_epoch'),
            'before_iter': ('before_train_iter', 'before_val_iter'),
            'after_iter': ('after_train_iter', 'after_val_iter'),
        }
        triggered = set()
        for stage in self.stages:
            if getattr(type(self), stage) is not getattr(Hook, stage):
                triggered.add(stage)
        for method, stages in generic.items():
            if getattr(type(self), method) is not getattr(Hook, method):
                triggered.update(stages)
        return [s for s in self.stages if s in triggered]
