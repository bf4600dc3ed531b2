"""Print the environment detkit runs in: ``python -m detkit.utils.collect_env``.

Paste its output into bug reports. It names the compiled ops and the devices
each was built for, and says plainly when the extension is missing.
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from collections import OrderedDict


def _run(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f'unavailable ({e.__class__.__name__})'
    return (out.stdout or out.stderr).strip()


def _nvcc_version(cuda_home: str | None) -> str:
    nvcc = os.path.join(cuda_home, 'bin', 'nvcc') if cuda_home else shutil.which('nvcc')
    if not nvcc or not os.path.exists(nvcc):
        return 'not found'
    lines = _run([nvcc, '-V']).splitlines()
    return lines[-1] if lines else 'unknown'


def collect_env() -> 'OrderedDict[str, str]':
    """Return an ordered mapping of environment facts (all values are strings)."""
    env: OrderedDict[str, str] = OrderedDict()
    env['sys.platform'] = sys.platform
    env['Python'] = sys.version.replace('\n', '')
    env['Platform'] = platform.platform()
    env['CPU cores'] = str(os.cpu_count())
    import torch
    env['PyTorch'] = torch.__version__
    env['PyTorch CUDA build'] = str(torch.version.cuda)
    env['CUDA available'] = str(torch.cuda.is_available())
    if torch.cuda.is_available():
        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        env['GPUs'] = ', '.join(names)
    try:
        from torch.utils.cpp_extension import CUDA_HOME
    except ImportError:
        CUDA_HOME = None
    env['CUDA_HOME'] = str(CUDA_HOME)
    env['NVCC'] = _nvcc_version(CUDA_HOME)
    env['GCC'] = _run(['gcc', '--version']).splitlines()[0] if shutil.which('gcc') else 'not found'
    try:
        import torchvision
        env['TorchVision'] = torchvision.__version__
    except ImportError:
        env['TorchVision'] = 'not installed'
    try:
        import cv2
        env['OpenCV'] = cv2.__version__
    except ImportError:
        env['OpenCV'] = 'not installed'
    import numpy
    env['NumPy'] = numpy.__version__
    from detkit import __version__
    env['detkit'] = __version__
    env.update(_compiled_ops())
    return env


def _compiled_ops() -> 'OrderedDict[str, str]':
    out: OrderedDict[str, str] = OrderedDict()
    try:
        from detkit.ops import compiled_ops
        ops = compiled_ops()
    except ImportError as e:
        out['detkit compiled ops'] = f'MISSING: {e}'
        return out
    if not ops:
        out['detkit compiled ops'] = 'MISSING: the extension detkit._C holds no ops'
        return out
    out['detkit compiled ops'] = ', '.join(
        f'{name} [{"/".join(devs)}]' for name, devs in sorted(ops.items()))
    return out


def main() -> None:
    for name, val in collect_env().items():
        print(f'{name}: {val}')


if __name__ == '__main__':
    main()
