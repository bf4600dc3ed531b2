import subprocess
import sys

import torch

from detkit.utils import collect_env as ce


def test_collect_env_reports_versions_and_ops():
    env = ce.collect_env()
    assert env['PyTorch'] == torch.__version__
    assert env['PyTorch CUDA build'] == str(torch.version.cuda)
    for key in ('Python', 'TorchVision', 'OpenCV', 'NumPy', 'detkit', 'NVCC', 'GCC',
                'detkit compiled ops'):
        assert key in env and env[key], key


def test_missing_extension_is_reported_not_hidden(monkeypatch):
    import detkit.ops

    def absent():
        raise ImportError('detkit._C is not built')

    monkeypatch.setattr(detkit.ops, 'compiled_ops', absent, raising=False)
    assert ce.collect_env()['detkit compiled ops'] == 'MISSING: detkit._C is not built'


def test_module_runs_as_script():
    out = subprocess.run([sys.executable, '-m', 'detkit.utils.collect_env'],
                         capture_output=True, text=True, check=True).stdout
    assert 'PyTorch: ' + torch.__version__ in out
    assert 'detkit compiled ops: ' in out
