import runpy
import sys

import pytest
import torch

import detkit
from detkit.ops import _ext, compiled_ops, cuda_compiled

PUBLIC_OPS = {
    'batched_nms',
    'bbox_overlaps',
    'nms',
    'roi_align',
    'roi_pool',
    'sigmoid_focal_loss',
    'soft_nms',
}


def test_compiled_ops_reports_the_dispatcher_table():
    ops = compiled_ops()
    assert set(ops) == PUBLIC_OPS
    for name, devices in ops.items():
        assert devices[0] == 'cpu'
        has_cuda = torch._C._dispatch_has_kernel_for_dispatch_key(f'detkit::{name}', 'CUDA')
        assert ('cuda' in devices) == has_cuda
    assert ops['soft_nms'] == ['cpu']  # sequential algorithm, CPU only (as mmcv)
    assert ('cuda' in ops['nms']) == cuda_compiled()


def test_missing_extension_says_how_to_build_it(monkeypatch):
    # Run the loader again as if detkit._C had never been built.
    monkeypatch.delattr(detkit, '_C')
    monkeypatch.setitem(sys.modules, 'detkit._C', None)
    with pytest.raises(ImportError) as info:
        runpy.run_path(_ext.__file__)
    message = str(info.value)
    assert 'detkit._C' in message and 'pip install --no-build-isolation -e .' in message
    assert 'FORCE_CUDA=0' in message
