"""tools/dist_train.sh and tools/dist_test.sh: two CPU processes on gloo give the
single-process results (same first-iteration losses and update; same test results
in dataset order, same mAP)."""
import glob
import importlib.util
import json
import os
import os.path as osp
import pickle
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch

_spec = importlib.util.spec_from_file_location(
    '_tiny_dist', osp.join(osp.dirname(__file__), '..', 'test_apis', '_tiny.py'))
_tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tiny)


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


# A launcher's variables inherited from the caller's shell (a cluster job sets
# MASTER_ADDR=<some node>, RANK, ...) would send this local 2-process run elsewhere.
_LAUNCH_VARS = ('MASTER_ADDR', 'MASTER_PORT', 'RANK', 'LOCAL_RANK', 'WORLD_SIZE',
                'LOCAL_WORLD_SIZE', 'NNODES', 'NODE_RANK', 'GROUP_RANK', 'TORCHELASTIC_RUN_ID')


def _run(cmd, timeout=600):
    env = {k: v for k, v in os.environ.items() if k not in _LAUNCH_VARS}
    env.update(PYTHONPATH=_tiny.ROOT, OMP_NUM_THREADS='1', PYTHON=sys.executable,
               PORT=_free_port(), MASTER_ADDR='127.0.0.1', NNODES='1', NODE_RANK='0')
    try:
        proc = subprocess.run(cmd, cwd=_tiny.ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f'{cmd} did not finish in {timeout} s:\n{e.stdout}\n{e.stderr}')
    assert proc.returncode == 0, f'{cmd} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}'
    return proc.stdout + proc.stderr


def _first_iter(work):
    (path,) = glob.glob(osp.join(work, '*.log.json'))
    with open(path) as f:
        return next(r for r in map(json.loads, f) if r.get('mode') == 'train')


def _options(data, samples_per_gpu):
    opts = _tiny.tiny_options(data, samples_per_gpu=samples_per_gpu, max_epochs=1)
    opts.update({
        # per-sample computations only, so that 2 x 2 images equal 1 x 4: frozen BN
        # statistics (GN in the head), no random flips; plain SGD so that the
        # update is lr x the (all-reduced) gradient
        'model.backbone.norm_eval': True,
        'data.train.pipeline.3.flip_ratio': 0.0,
        'optimizer.type': 'SGD', 'optimizer.lr': 0.01, 'optimizer.weight_decay': 0.0,
    })
    return _tiny.as_cli(opts)


@pytest.mark.slow
def test_dist_train_and_test_match_single_process(tmp_path):
    data = _tiny.make_data(str(tmp_path / 'data'), num_train=4, num_val=5)
    single, ddp = str(tmp_path / 'single'), str(tmp_path / 'ddp')
    _run([sys.executable, 'tools/train.py', _tiny.CONFIG, '--work-dir', single, '--seed', '0',
          '--no-validate', '--cfg-options', *_options(data, 4)])
    _run(['bash', 'tools/dist_train.sh', _tiny.CONFIG, '2', '--work-dir', ddp,
          '--no-validate', '--cfg-options', *_options(data, 2)])

    a, b = _first_iter(single), _first_iter(ddp)
    for key in ['loss_cls', 'loss_bbox', 'loss_centerness', 'loss']:
        assert b[key] == pytest.approx(a[key], rel=1e-4, abs=1e-5), key
    assert b['grad_norm'] == pytest.approx(a['grad_norm'], rel=1e-4)

    # the same initial weights (seed 0) and the same gradient give the same update
    from detkit.apis import set_random_seed
    from detkit.config import Config
    from detkit.models import build_detector
    cfg = Config.fromfile(_tiny.CONFIG)
    cfg.merge_from_dict(_tiny.tiny_options(data))
    set_random_seed(0)
    init = build_detector(cfg.model)
    init.init_weights()
    w0 = init.state_dict()
    w1 = torch.load(osp.join(single, 'epoch_1.pth'), weights_only=True)['state_dict']
    w2 = torch.load(osp.join(ddp, 'epoch_1.pth'), weights_only=True)['state_dict']
    key = 'bbox_head.conv_cls.weight'
    assert (w1[key] - w0[key]).abs().max() > 1e-5  # this step did change the weights
    for k, v in w1.items():
        if v.is_floating_point():
            torch.testing.assert_close(w2[k], v, rtol=1e-4, atol=1e-6, msg=k)

    # dist_test.sh: results in dataset order (5 images on 2 ranks: one padded), same mAP
    ckpt = osp.join(single, 'epoch_1.pth')
    test_opts = _tiny.as_cli(_tiny.tiny_options(data))
    r1, r2 = str(tmp_path / 'r1.pkl'), str(tmp_path / 'r2.pkl')
    out1 = _run([sys.executable, 'tools/test.py', _tiny.CONFIG, ckpt, '--out', r1,
                 '--eval', 'bbox', '--cfg-options', *test_opts])
    out2 = _run(['bash', 'tools/dist_test.sh', _tiny.CONFIG, ckpt, '2', '--out', r2,
                 '--eval', 'bbox', '--tmpdir', str(tmp_path / 'collect'),
                 '--cfg-options', *test_opts])
    res1, res2 = pickle.load(open(r1, 'rb')), pickle.load(open(r2, 'rb'))
    assert len(res1) == len(res2) == 5
    for x, y in zip(res1, res2):
        for p, q in zip(x, y):
            np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-4)

    def copypaste(out):
        return [line for line in out.splitlines() if 'bbox_mAP_copypaste' in line][-1]
    assert copypaste(out1).split('bbox_mAP_copypaste')[1] == \
        copypaste(out2).split('bbox_mAP_copypaste')[1]
