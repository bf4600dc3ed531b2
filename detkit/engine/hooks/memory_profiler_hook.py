"""MemoryProfilerHook: log system and process memory every ``interval`` iterations."""

from __future__ import annotations

import os
from typing import Any

from ...registry import HOOKS
from .hook import Hook

_MB = 1024 * 1024


def _read_meminfo() -> dict:
    """``/proc/meminfo`` in bytes (Linux)."""
    info = {}
    with open('/proc/meminfo') as f:
        for line in f:
            key, _, rest = line.partition(':')
            fields = rest.split()
            if fields:
                info[key] = int(fields[0]) * 1024  # the kernel reports kB
    return info


def _process_rss() -> int:
    """Resident memory of this process in bytes (Linux)."""
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


@HOOKS.register_module()
class MemoryProfilerHook(Hook):
    """Log available/used memory and swap, and this process's resident memory (MB).

    Uses ``psutil`` when it is installed, else Linux's ``/proc``; on other
    systems without psutil it raises ImportError naming the package.

    Args:
        interval (int): logging interval in iterations.
    """

    def __init__(self, interval: int = 50):
        try:
            import psutil

            self._psutil: Any = psutil
        except ImportError:
            self._psutil = None
            if not os.path.exists('/proc/meminfo'):
                raise ImportError(
                    'MemoryProfilerHook needs psutil on this system: pip install psutil'
                ) from None
        self.interval = interval

    def _stats(self) -> tuple:
        if self._psutil is not None:
            vm, sm = self._psutil.virtual_memory(), self._psutil.swap_memory()
            rss = self._psutil.Process().memory_info().rss
            return vm.available, vm.used, vm.percent, sm.free, sm.used, sm.percent, rss
        info = _read_meminfo()
        total, available = info['MemTotal'], info.get('MemAvailable', info['MemFree'])
        swap_total, swap_free = info.get('SwapTotal', 0), info.get('SwapFree', 0)
        used = total - available
        swap_used = swap_total - swap_free
        return (
            available,
            used,
            round(100 * used / total, 1),
            swap_free,
            swap_used,
            round(100 * swap_used / swap_total, 1) if swap_total else 0.0,
            _process_rss(),
        )

    def after_iter(self, runner: Any) -> None:
        if not self.every_n_iters(runner, self.interval):
            return
        avail, used, util, swap_avail, swap_used, swap_util, rss = self._stats()
        runner.logger.info(
            'Memory information '
            f'available_memory: {round(avail / _MB)} MB, used_memory: {round(used / _MB)} MB, '
            f'memory_utilization: {util} %, available_swap_memory: {round(swap_avail / _MB)} MB, '
            f'used_swap_memory: {round(swap_used / _MB)} MB, swap_memory_utilization: '
            f'{swap_util} %, current_process_memory: {round(rss / _MB)} MB'
        )
