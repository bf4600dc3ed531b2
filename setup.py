"""Build script for detkit and its compiled ops extension ``detkit._C``.

The extension is built against the torch that is already installed, so install
with ``pip install --no-build-isolation -e .``.

Environment variables:
    FORCE_CUDA=1   build the CUDA kernels even when no GPU is visible (needs nvcc).
    FORCE_CUDA=0   build the CPU-only extension even when nvcc is available.
    CUDA_HOME      root of the CUDA toolkit (with bin/nvcc, include/, lib64/).
    TORCH_CUDA_ARCH_LIST, MAX_JOBS   honoured by torch.utils.cpp_extension.
"""

import glob
import os
import os.path as osp

from setuptools import find_packages, setup

ROOT = osp.dirname(osp.abspath(__file__))


def get_version():
    scope = {}
    with open(osp.join(ROOT, 'detkit', 'version.py'), encoding='utf-8') as f:
        exec(f.read(), scope)
    return scope['__version__']


def parse_requirements(fname):
    """Read a requirements file, following ``-r other.txt`` includes."""
    reqs = []
    with open(osp.join(ROOT, fname), encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            if line.startswith('-r'):
                reqs += parse_requirements(osp.join(osp.dirname(fname), line[2:].strip()))
            else:
                reqs.append(line)
    return reqs


def want_cuda():
    """CUDA build when FORCE_CUDA=1, or when a CUDA toolkit is found and FORCE_CUDA!=0."""
    force = os.environ.get('FORCE_CUDA')
    if force is not None and force not in ('0', '1'):
        raise ValueError(f'FORCE_CUDA must be 0 or 1, got {force!r}')
    if force == '0':
        return False
    from torch.utils.cpp_extension import CUDA_HOME

    if force == '1':
        if CUDA_HOME is None:
            raise RuntimeError(
                'FORCE_CUDA=1 but no CUDA toolkit was found: set CUDA_HOME to the '
                'toolkit root (the folder holding bin/nvcc, include/ and lib64/).'
            )
        return True
    return CUDA_HOME is not None and osp.exists(osp.join(CUDA_HOME, 'bin', 'nvcc'))


def get_extensions():
    from torch.utils.cpp_extension import CppExtension, CUDAExtension

    def rel(pattern):
        return sorted(osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, pattern)))

    sources = rel('csrc/*.cpp') + rel('csrc/cpu/*.cpp') + rel('csrc/autocast/*.cpp')
    include_dirs = [osp.join(ROOT, 'csrc')]
    # -O3 lets gcc vectorise the float loops of the CPU kernels; no -std flag:
    # BuildExtension picks the one the installed torch headers need.
    extra_compile_args = {'cxx': ['-O3']}
    define_macros = []
    if want_cuda():
        sources += rel('csrc/cuda/*.cu')
        define_macros.append(('WITH_CUDA', None))
        extra_compile_args['nvcc'] = ['-O3', '--expt-relaxed-constexpr']
        ext_cls = CUDAExtension
    else:
        ext_cls = CppExtension
    return [
        ext_cls(
            name='detkit._C',
            sources=sources,
            include_dirs=include_dirs,
            define_macros=define_macros,
            extra_compile_args=extra_compile_args,
        )
    ]


def get_cmdclass():
    from torch.utils.cpp_extension import BuildExtension

    return {'build_ext': BuildExtension.with_options(use_ninja=True)}


setup(
    name='detkit',
    version=get_version(),
    description='A config-driven, modular object-detection toolbox for PyTorch',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools', 'demo')),
    python_requires='>=3.9',
    install_requires=parse_requirements('requirements/runtime.txt'),
    ext_modules=get_extensions(),
    cmdclass=get_cmdclass(),
    zip_safe=False,
)
