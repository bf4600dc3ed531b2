"""LogBuffer: the per-iteration values hooks log, and their running averages (mmcv 1.x)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np


class LogBuffer:
    """Histories of logged scalars and the averages a logger prints.

    ``update`` appends values, each with the number of samples it was computed
    on; ``average(n)`` writes the sample-weighted mean of the last ``n``
    values of every key (all values if ``n == 0``) into ``output`` and marks
    the buffer ``ready``. Hooks may also write to ``output`` directly (the
    evaluation hook puts its metrics there).
    """

    def __init__(self) -> None:
        self.val_history: OrderedDict = OrderedDict()
        self.n_history: OrderedDict = OrderedDict()
        self.output: OrderedDict = OrderedDict()
        self.ready = False

    def clear(self) -> None:
        self.val_history.clear()
        self.n_history.clear()
        self.clear_output()

    def clear_output(self) -> None:
        self.output.clear()
        self.ready = False

    def update(self, vars: dict, count: int = 1) -> None:
        """Append ``vars`` (name -> number), each weighted by ``count`` samples."""
        if not isinstance(vars, dict):
            raise TypeError(f'LogBuffer.update expects a dict, but got {type(vars).__name__}')
        for key, var in vars.items():
            if key not in self.val_history:
                self.val_history[key] = []
                self.n_history[key] = []
            self.val_history[key].append(var)
            self.n_history[key].append(count)

    def average(self, n: int = 0) -> None:
        """Average the last ``n`` values of every key (``n == 0``: all of them)."""
        if n < 0:
            raise ValueError(f'LogBuffer.average: n must be >= 0, but got {n}')
        for key in self.val_history:
            values = np.array(self.val_history[key][-n:], dtype=np.float64)
            nums = np.array(self.n_history[key][-n:], dtype=np.float64)
            self.output[key] = float(np.sum(values * nums) / np.sum(nums))
        self.ready = True
