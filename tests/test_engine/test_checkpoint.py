import os
import os.path as osp
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch
import torch.nn as nn

from detkit.engine import atomic_symlink, atomic_write, save_checkpoint
from detkit.version import __version__

from ._toy import ToyModel

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_format_keys_and_weights_only_load(tmp_path):
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    model.CLASSES = ('cat', 'dog')
    optim = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 3, 5, 5)).sum().backward()
    optim.step()
    path = tmp_path / 'sub' / 'epoch_1.pth'
    save_checkpoint(nn.DataParallel(model), str(path), optimizer=optim, meta=dict(epoch=1))
    ckpt = torch.load(path, weights_only=True)
    assert set(ckpt) == {'meta', 'state_dict', 'optimizer'}
    # the DataParallel wrapper's 'module.' prefix is not saved
    assert list(ckpt['state_dict']) == [
        '0.weight',
        '0.bias',
        '1.weight',
        '1.bias',
        '1.running_mean',
        '1.running_var',
        '1.num_batches_tracked',
    ]
    assert ckpt['meta']['epoch'] == 1 and ckpt['meta']['detkit_version'] == __version__
    assert ckpt['meta']['CLASSES'] == ('cat', 'dog') and isinstance(ckpt['meta']['time'], str)
    for k, v in model.state_dict().items():
        torch.testing.assert_close(ckpt['state_dict'][k], v)
    assert ckpt['optimizer']['state'][0]['momentum_buffer'].shape == (4, 3, 3, 3)
    assert [f for f in os.listdir(path.parent) if f.endswith('.tmp')] == []


def test_dict_of_optimizers_and_bad_meta(tmp_path):
    model = ToyModel()
    opts = {
        'g': torch.optim.SGD(model.parameters(), lr=0.1),
        'd': torch.optim.Adam(model.parameters()),
    }
    ckpt = save_checkpoint(model, str(tmp_path / 'a.pth'), optimizer=opts)
    assert set(ckpt['optimizer']) == {'g', 'd'}
    with pytest.raises(TypeError, match='meta must be a dict'):
        save_checkpoint(model, str(tmp_path / 'b.pth'), meta=[1])


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / 'x.pth'
    target.write_bytes(b'old')

    def failing(f):
        f.write(b'partial')
        raise OSError('disk full')

    with pytest.raises(OSError, match='disk full'):
        atomic_write(str(target), failing)
    assert target.read_bytes() == b'old' and os.listdir(tmp_path) == ['x.pth']


def test_atomic_symlink_replaces_latest(tmp_path):
    (tmp_path / 'epoch_1.pth').write_bytes(b'1')
    (tmp_path / 'epoch_2.pth').write_bytes(b'2')
    atomic_symlink('epoch_1.pth', str(tmp_path / 'latest.pth'))
    atomic_symlink('epoch_2.pth', str(tmp_path / 'latest.pth'))
    assert os.readlink(tmp_path / 'latest.pth') == 'epoch_2.pth'  # relative: the folder may move
    assert (tmp_path / 'latest.pth').read_bytes() == b'2'


def test_atomic_symlink_falls_back_to_a_copy(tmp_path, monkeypatch):
    (tmp_path / 'epoch_1.pth').write_bytes(b'payload')

    def no_symlinks(*args):
        raise OSError('symlinks not supported')

    monkeypatch.setattr(os, 'symlink', no_symlinks)
    atomic_symlink('epoch_1.pth', str(tmp_path / 'latest.pth'))
    assert not osp.islink(tmp_path / 'latest.pth')
    assert (tmp_path / 'latest.pth').read_bytes() == b'payload'


def _child(script: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.Popen([sys.executable, '-c', textwrap.dedent(script)], env=env)


def _wait_for(cond, proc, timeout=60.0):
    start = time.time()
    while not cond():
        assert proc.poll() is None, 'the child exited early'
        assert time.time() - start < timeout, 'timed out waiting for the child'
        time.sleep(0.005)


def test_sigkill_mid_write_leaves_the_previous_checkpoint(tmp_path):
    """Deterministic: the child blocks half-way through writing, then is killed."""
    target = tmp_path / 'latest_good.pth'
    good = {'w': torch.arange(10.0)}
    torch.save(good, target)
    flag = tmp_path / 'half_written'
    proc = _child(f"""
        import time
        from detkit.engine import atomic_write
        def write(f):
            f.write(b'x' * 1000000)
            f.flush()
            open({str(flag)!r}, 'w').close()
            time.sleep(60)
        atomic_write({str(target)!r}, write)
    """)
    try:
        _wait_for(flag.exists, proc)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    torch.testing.assert_close(torch.load(target, weights_only=True)['w'], good['w'])


def test_sigkill_during_a_large_save_checkpoint(tmp_path):
    """A real save_checkpoint of ~24 MB killed as soon as its temporary file grows."""
    target = tmp_path / 'epoch_1.pth'
    save_checkpoint(nn.Linear(2, 2), str(target), meta=dict(tag='good'))
    proc = _child(f"""
        import torch.nn as nn
        from detkit.engine import save_checkpoint
        model = nn.Linear(2000, 3000)
        while True:
            save_checkpoint(model, {str(target)!r}, meta=dict(tag='new'))
    """)

    def temp_file_growing():
        return any(
            f.endswith('.tmp') and os.path.getsize(tmp_path / f) > 0 for f in os.listdir(tmp_path)
        )

    try:
        _wait_for(temp_file_growing, proc)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    ckpt = torch.load(target, weights_only=True)  # never truncated: either the old or a full new
    if ckpt['meta']['tag'] == 'good':
        assert ckpt['state_dict']['weight'].shape == (2, 2)
    else:
        assert ckpt['state_dict']['weight'].shape == (3000, 2000)
