"""Loading of the compiled extension ``detkit._C`` and what it was built with."""

from __future__ import annotations

import functools

import torch

_BUILD_HINT = (
    "detkit's compiled ops (the extension module detkit._C) are not built or failed to "
    'load. Build them from the source tree with\n'
    '    pip install --no-build-isolation -e .\n'
    '(CPU-only: FORCE_CUDA=0; with CUDA kernels: FORCE_CUDA=1 CUDA_HOME=<toolkit root> '
    'TORCH_CUDA_ARCH_LIST="8.0;9.0"). The extension must be built against the installed '
    f'torch {torch.__version__}.'
)

try:
    from detkit import _C  # noqa: F401  (loading it registers torch.ops.detkit.*)
except ImportError as e:  # pragma: no cover - exercised only without a build
    raise ImportError(f'{_BUILD_HINT}\nOriginal error: {e}') from e

_DEVICE_KEYS = (('cpu', 'CPU'), ('cuda', 'CUDA'))


def compiled_ops() -> dict[str, list[str]]:
    """Map each public compiled op to the devices it has kernels for.

    The answer comes from the dispatcher's registration table, so it reports what
    the loaded ``detkit._C`` actually registered, e.g.
    ``{'bbox_overlaps': ['cpu', 'cuda'], 'soft_nms': ['cpu']}``. The table is
    read once (it is fixed once ``detkit._C`` is loaded): losses ask on every
    forward, and a scan of the dispatcher costs milliseconds.
    """
    return {name: list(devices) for name, devices in _registered_ops()}


@functools.lru_cache(maxsize=1)
def _registered_ops() -> tuple[tuple[str, tuple[str, ...]], ...]:
    ops: dict[str, list[str]] = {}
    for device, key in _DEVICE_KEYS:
        if device == 'cuda' and not _C.cuda_compiled():
            continue
        for qualname in torch._C._dispatch_get_registrations_for_dispatch_key(key):
            ns, _, name = qualname.partition('::')
            if ns != 'detkit' or name.startswith('_'):
                continue
            ops.setdefault(name.split('.')[0], []).append(device)
    return tuple((name, tuple(devs)) for name, devs in sorted(ops.items()))


def cuda_compiled() -> bool:
    """True if the loaded ``detkit._C`` was built with its CUDA kernels."""
    return bool(_C.cuda_compiled())
