"""tools/train.py --auto-resume after a SIGKILL in the third epoch ends with the same
weights as an uninterrupted run."""
import glob
import importlib.util
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch

_spec = importlib.util.spec_from_file_location(
    '_tiny_resume', osp.join(osp.dirname(__file__), '..', 'test_apis', '_tiny.py'))
_tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tiny)


def _cmd(work, opts, *extra):
    return [sys.executable, 'tools/train.py', _tiny.CONFIG, '--work-dir', work, '--seed', '0',
            '--deterministic', '--no-validate', *extra, '--cfg-options', *opts]


def _env():
    return dict(os.environ, PYTHONPATH=_tiny.ROOT, OMP_NUM_THREADS='1')


def _epoch3_started(work):
    for path in glob.glob(osp.join(work, '*.log.json')):
        with open(path) as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:  # a line being written
                    continue
                if rec.get('mode') == 'train' and rec.get('epoch') == 3:
                    return True
    return False


@pytest.mark.slow
def test_sigkill_then_auto_resume_matches_uninterrupted(tmp_path):
    data = _tiny.make_data(str(tmp_path / 'data'), num_train=8, num_val=2)
    # 4 iterations an epoch, random flips (their RNG state must be restored too)
    opts = _tiny.as_cli(_tiny.tiny_options(data, samples_per_gpu=2, max_epochs=3))
    ref, work = str(tmp_path / 'ref'), str(tmp_path / 'run')
    subprocess.run(_cmd(ref, opts), cwd=_tiny.ROOT, env=_env(), check=True,
                   capture_output=True)

    proc = subprocess.Popen(_cmd(work, opts), cwd=_tiny.ROOT, env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 600
        while not _epoch3_started(work):
            assert proc.poll() is None, 'the run ended before its third epoch'
            assert time.time() < deadline, 'the third epoch never started'
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert not osp.exists(osp.join(work, 'epoch_3.pth'))
    assert osp.exists(osp.join(work, 'epoch_2.pth'))

    res = subprocess.run(_cmd(work, opts, '--auto-resume'), cwd=_tiny.ROOT, env=_env(),
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    assert 'resumed epoch 2, iter 8' in res.stderr
    want = torch.load(osp.join(ref, 'epoch_3.pth'), weights_only=True)
    got = torch.load(osp.join(work, 'epoch_3.pth'), weights_only=True)
    assert got['meta']['iter'] == want['meta']['iter'] == 12
    assert want['state_dict'].keys() == got['state_dict'].keys()
    for k, v in want['state_dict'].items():
        if v.is_floating_point():
            torch.testing.assert_close(got['state_dict'][k], v, rtol=0, atol=1e-6, msg=k)
        else:
            assert torch.equal(got['state_dict'][k], v), k
