"""tools/train.py and tools/test.py end to end (subprocesses on a tiny synthetic set),
and their errors on bad input (in-process)."""
import glob
import importlib.util
import json
import os
import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# the tiny model and data the API tests use
_tiny = _load(osp.join(osp.dirname(__file__), '..', 'test_apis', '_tiny.py'), '_tiny_cli')
CONFIG, ROOT, as_cli, make_data, tiny_options = (
    _tiny.CONFIG, _tiny.ROOT, _tiny.as_cli, _tiny.make_data, _tiny.tiny_options)
PY = sys.executable


def run(*args, check=True):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run([PY, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n{proc.stderr[-3000:]}')
    return proc


def load_tool(name):
    return _load(osp.join(ROOT, 'tools', name + '.py'), f'_tool_{name}')


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """Two epochs of tools/train.py; returns (work_dir, cli options, stdout+stderr)."""
    root = tmp_path_factory.mktemp('cli')
    data = make_data(str(root / 'data'), num_train=8, num_val=4)
    opts = as_cli(tiny_options(data, samples_per_gpu=4, max_epochs=2))
    work = str(root / 'work')
    proc = run('tools/train.py', CONFIG, '--work-dir', work, '--seed', '0',
               '--cfg-options', *opts)
    return work, opts, proc.stdout + proc.stderr


def test_train_writes_checkpoints_logs_and_config(trained):
    work, _, output = trained
    for name in ['epoch_1.pth', 'epoch_2.pth', 'latest.pth', 'quickstart_fcos_r18.py']:
        assert osp.isfile(osp.join(work, name)), name
    logs = glob.glob(osp.join(work, '*.log'))
    assert len(logs) == 1 and osp.isfile(logs[0] + '.json')
    text = open(logs[0]).read()
    assert 'Environment info' in text and 'PyTorch' in text and 'Config:' in text
    assert "base_channels=16" in text  # the merged config is logged
    records = [json.loads(line) for line in open(logs[0] + '.json')]
    train = [r for r in records if r.get('mode') == 'train']
    val = [r for r in records if r.get('mode') == 'val']
    assert [(r['epoch'], r['iter']) for r in train] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert [r['epoch'] for r in val] == [1, 2] and all('bbox_mAP' in r for r in val)
    ckpt = torch.load(osp.join(work, 'latest.pth'), weights_only=True)
    assert ckpt['meta']['epoch'] == 2 and ckpt['meta']['iter'] == 4
    assert ckpt['meta']['CLASSES'][0] == 'circle' and 'config' in ckpt['meta']
    assert torch.equal(ckpt['state_dict']['bbox_head.conv_cls.weight'], torch.load(
        osp.join(work, 'epoch_2.pth'), weights_only=True)['state_dict'][
        'bbox_head.conv_cls.weight'])


def test_test_eval_out_and_format_only(trained, tmp_path):
    work, opts, _ = trained
    out = str(tmp_path / 'r.pkl')
    proc = run('tools/test.py', CONFIG, osp.join(work, 'latest.pth'), '--eval', 'bbox',
               '--out', out, '--work-dir', str(tmp_path), '--cfg-options', *opts)
    assert 'Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]' \
        in proc.stdout + proc.stderr
    results = pickle.load(open(out, 'rb'))
    assert len(results) == 4
    for r in results:
        assert len(r) == 6 and all(a.dtype == np.float32 and a.shape[1:] == (5,) for a in r)
    assert len(glob.glob(str(tmp_path / 'eval_*.json'))) == 1
    # the pickled results are what the API gives for the same images
    from detkit.apis import inference_detector, init_detector
    from detkit.config import Config
    from detkit.datasets import build_dataset
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(dict(o.split('=', 1) for o in opts[:6]))
    cfg.merge_from_dict({k: v for k, v in tiny_options(
        cfg.data.test.ann_file.rsplit('/annotations', 1)[0]).items()})
    model = init_detector(cfg, osp.join(work, 'latest.pth'), device='cpu')
    dataset = build_dataset(cfg.data.test, dict(test_mode=True))
    img = osp.join(dataset.img_prefix, dataset.data_infos[2]['filename'])
    for a, b in zip(inference_detector(model, img), results[2]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)
    # --format-only writes COCO JSON: one record per box, xywh
    prefix = str(tmp_path / 'dets')
    run('tools/test.py', CONFIG, osp.join(work, 'latest.pth'), '--format-only',
        '--eval-options', f'jsonfile_prefix={prefix}', '--cfg-options', *opts)
    dets = json.load(open(prefix + '.bbox.json'))
    assert len(dets) == sum(len(a) for r in results for a in r)
    first = [d for d in dets if d['image_id'] == dataset.data_infos[0]['id']]
    boxes = np.concatenate(results[0])
    order = np.argsort(-boxes[:, 4], kind='stable')
    got = np.array(sorted((d['bbox'] + [d['score']] for d in first), key=lambda x: -x[4]))
    want = boxes[order]
    np.testing.assert_allclose(got[:, 4], want[:, 4], rtol=1e-5)
    np.testing.assert_allclose(got[:, 2], want[:, 2] - want[:, 0], rtol=1e-4, atol=1e-3)


def test_print_config_shows_merged_options(tmp_path, capsys):
    tool = _load(osp.join(ROOT, 'tools', 'misc', 'print_config.py'), '_tool_print_config')
    tool.main([CONFIG, '--cfg-options', 'runner.max_epochs=3',
               '--save-path', str(tmp_path / 'c.py')])
    assert 'max_epochs=3' in capsys.readouterr().out
    from detkit.config import Config
    assert Config.fromfile(str(tmp_path / 'c.py')).runner.max_epochs == 3


def test_bad_inputs_have_clear_errors(tmp_path):
    train = load_tool('train')
    test = load_tool('test')
    with pytest.raises(KeyError, match="did you mean 'max_epochs'"):
        train.main([CONFIG, '--cfg-options', 'runner.max_epoch=2'])
    no_train = tmp_path / 'no_train.py'
    no_train.write_text(f"_base_ = ['{CONFIG}']\ndata = dict(_delete_=True, test=dict())\n")
    with pytest.raises(KeyError, match='has no data.train'):
        train.main([str(no_train), '--work-dir', str(tmp_path)])
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        test.main([CONFIG, str(tmp_path / 'missing.pth'), '--eval', 'bbox'])
    with pytest.raises(FileNotFoundError, match='nope.py'):
        train.main([str(tmp_path / 'nope.py')])
    with pytest.raises(SystemExit):  # no operation asked for: argparse says which flags
        test.parse_args([CONFIG, 'x.pth'])
