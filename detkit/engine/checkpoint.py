"""Writing checkpoints: ``save_checkpoint`` (mmcv 1.x format), atomically.

A checkpoint is ``{'meta': {...}, 'state_dict': {name: Tensor}, 'optimizer': {...}}``
with MMDetection 2.x key names (a DDP wrapper's ``module.`` prefix removed).
Everything in it is a tensor or a plain Python container, so it reads back
with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import os
import os.path as osp
import tempfile
import time
from collections import OrderedDict
from typing import Any, Callable, Optional, Union

import torch
import torch.nn as nn
from torch.optim import Optimizer

from ..version import __version__
from .utils import unwrap_model


def weights_to_cpu(state_dict: dict) -> OrderedDict:
    """A copy of ``state_dict`` with every tensor on the CPU (keeps ``_metadata``)."""
    out = OrderedDict(
        (k, v.detach().cpu() if isinstance(v, torch.Tensor) else v) for k, v in state_dict.items()
    )
    metadata = getattr(state_dict, '_metadata', None)
    if metadata is not None:
        out._metadata = metadata  # type: ignore[attr-defined]
    return out


def get_state_dict(module: nn.Module) -> OrderedDict:
    """The state dict of ``module`` without any DataParallel/DDP ``module.`` prefix."""
    return unwrap_model(module).state_dict()


def atomic_write(filename: str, write: Callable[[Any], None]) -> None:
    """Call ``write(file)`` on a temporary file next to ``filename``, then rename it there.

    The data is flushed and fsync'd before ``os.replace``, so ``filename``
    always holds either its previous content or the complete new one, even if
    the process is killed mid-write. The temporary file is removed on error.
    """
    dirname = osp.dirname(osp.abspath(filename))
    os.makedirs(dirname, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(filename)}.', suffix='.tmp', dir=dirname)
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filename)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(dirname)


def _fsync_dir(dirname: str) -> None:
    # the rename itself must reach the disk too, or a power cut could undo it
    try:
        fd = os.open(dirname, os.O_RDONLY)
    except OSError:  # some platforms cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_symlink(src: str, dst: str) -> None:
    """Point ``dst`` at ``src`` (relative to ``dst``'s folder), replacing ``dst`` atomically.

    Where symlinks are not supported, ``dst`` becomes an atomic copy of ``src``.
    """
    dirname = osp.dirname(osp.abspath(dst))
    tmp = osp.join(dirname, f'.{osp.basename(dst)}.{os.getpid()}.link')
    try:
        if osp.lexists(tmp):
            os.remove(tmp)
        os.symlink(src, tmp)
        os.replace(tmp, dst)
    except (OSError, NotImplementedError):
        if osp.lexists(tmp):
            os.remove(tmp)
        source = src if osp.isabs(src) else osp.join(dirname, src)
        with open(source, 'rb') as f_in:
            atomic_write(dst, lambda f_out: _copy_stream(f_in, f_out))


def _copy_stream(f_in: Any, f_out: Any, chunk: int = 1 << 20) -> None:
    while True:
        buf = f_in.read(chunk)
        if not buf:
            return
        f_out.write(buf)


def save_checkpoint(
    model: nn.Module,
    filename: str,
    optimizer: Union[Optimizer, dict, None] = None,
    meta: Optional[dict] = None,
) -> dict:
    """Save ``model`` (and ``optimizer``) to ``filename``, atomically.

    Args:
        model (nn.Module): the model; a DDP/DataParallel wrapper is unwrapped.
        filename (str): the target path (its folder is created).
        optimizer (Optimizer | dict[str, Optimizer], optional): saved under 'optimizer'.
        meta (dict, optional): saved under 'meta', with ``detkit_version``,
            ``time`` and the model's ``CLASSES`` (if it has them) added.

    Returns:
        dict: the checkpoint as written.
    """
    if meta is None:
        meta = {}
    elif not isinstance(meta, dict):
        raise TypeError(f'meta must be a dict or None, but got {type(meta).__name__}')
    meta = dict(meta)
    meta.update(detkit_version=__version__, time=time.asctime())
    inner = unwrap_model(model)
    if getattr(inner, 'CLASSES', None) is not None:
        meta.update(CLASSES=inner.CLASSES)
    checkpoint: dict = {'meta': meta, 'state_dict': weights_to_cpu(get_state_dict(inner))}
    if isinstance(optimizer, Optimizer):
        checkpoint['optimizer'] = optimizer.state_dict()
    elif isinstance(optimizer, dict):
        checkpoint['optimizer'] = {name: optim.state_dict() for name, optim in optimizer.items()}
    elif optimizer is not None:
        raise TypeError(
            f'optimizer must be an Optimizer, a dict of them or None, '
            f'but got {type(optimizer).__name__}'
        )
    atomic_write(filename, lambda f: torch.save(checkpoint, f))
    return checkpoint
