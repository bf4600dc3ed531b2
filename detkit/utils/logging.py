"""Loggers: ``get_root_logger`` as in MMDetection 2.x, and ``print_log``."""
from __future__ import annotations

import logging
import sys
from typing import Optional, Union

_initialized: set[str] = set()

FORMAT = '%(asctime)s - %(name)s - %(levelname)s - %(message)s'


def _rank() -> int:
    try:
        import torch.distributed as dist
        if dist.is_available() and dist.is_initialized():
            return dist.get_rank()
    except ImportError:  # torch is a dependency; this only guards odd installs
        pass
    return 0


def get_logger(name: str, log_file: Optional[str] = None, log_level: int = logging.INFO,
               file_mode: str = 'w') -> logging.Logger:
    """A logger that prints to stderr and, on rank 0, to ``log_file`` too.

    Only rank 0 logs at ``log_level``; other ranks log errors only, so that a
    multi-process run prints each line once. Calling it again with the same
    name returns the same logger (a later ``log_file`` is ignored, as in mmcv).
    """
    logger = logging.getLogger(name)
    if name in _initialized:
        return logger
    # a parent that is already set up handles our records
    for done in _initialized:
        if name.startswith(done + '.'):
            return logger
    for handler in logger.root.handlers:  # torch.distributed adds a root StreamHandler
        if type(handler) is logging.StreamHandler:
            handler.setLevel(logging.ERROR)
    rank = _rank()
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if rank == 0 and log_file is not None:
        handlers.append(logging.FileHandler(log_file, file_mode))
    formatter = logging.Formatter(FORMAT)
    for h in handlers:
        h.setFormatter(formatter)
        h.setLevel(log_level)
        logger.addHandler(h)
    logger.setLevel(log_level if rank == 0 else logging.ERROR)
    logger.propagate = False
    _initialized.add(name)
    return logger


def get_root_logger(log_file: Optional[str] = None, log_level: int = logging.INFO) -> logging.Logger:
    """The ``detkit`` logger; ``log_file`` is added on its first call."""
    return get_logger('detkit', log_file=log_file, log_level=log_level)


def print_log(msg: str, logger: Union[logging.Logger, str, None] = None,
              level: int = logging.INFO) -> None:
    """Print ``msg`` through ``logger``: a Logger, a logger name, 'silent', or None (print)."""
    if logger is None:
        print(msg)
    elif isinstance(logger, logging.Logger):
        logger.log(level, msg)
    elif logger == 'silent':
        pass
    elif isinstance(logger, str):
        get_logger(logger).log(level, msg)
    else:
        raise TypeError('logger must be a logging.Logger, a logger name, "silent" or None, '
                        f'but got {type(logger).__name__}')
