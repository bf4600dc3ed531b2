import io
import json
import logging
import os
import re

import pytest
import torch

from detkit.engine import EpochBasedRunner, Hook, IterBasedRunner

from .._toy import ToyModel, toy_loader


def _logger(stream):
    logger = logging.getLogger(f'detkit.test_text_logger.{id(stream)}')
    logger.handlers[:] = [logging.StreamHandler(stream)]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


class LossRecorder(Hook):
    def __init__(self):
        self.losses = []

    def after_train_iter(self, runner):
        self.losses.append(runner.outputs['log_vars']['loss'])


def _run(tmp_path, runner_cls=EpochBasedRunner, json_dir=None, **kw):
    torch.manual_seed(0)
    stream = io.StringIO()
    model = ToyModel()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    limit = dict(max_epochs=2) if runner_cls is EpochBasedRunner else dict(max_iters=4)
    runner = runner_cls(
        model,
        optimizer,
        work_dir=str(tmp_path),
        logger=_logger(stream),
        meta=dict(seed=7, exp_name='toy.py'),
        **limit,
    )
    rec = LossRecorder()
    runner.register_training_hooks(
        None,
        dict(grad_clip=dict(max_norm=100, norm_type=2)),
        log_config=dict(interval=2, hooks=[dict(type='TextLoggerHook', **kw)]),
    )
    runner.register_hook(rec, 'HIGHEST')
    runner.run(
        [toy_loader(8, 2), toy_loader(4, 2)]
        if runner_cls is EpochBasedRunner
        else [toy_loader(8, 2)],
        [('train', 1), ('val', 1)] if runner_cls is EpochBasedRunner else [('train', 1)],
    )
    json_dir = json_dir or tmp_path
    json_files = [f for f in os.listdir(json_dir) if f.endswith('.log.json')]
    assert json_files == [f'{runner.timestamp}.log.json']
    with open(json_dir / json_files[0]) as f:
        records = [json.loads(line) for line in f]
    return stream.getvalue().splitlines(), records, rec.losses


def test_epoch_lines_and_json(tmp_path):
    lines, records, losses = _run(tmp_path)
    train = [ln for ln in lines if ln.startswith('Epoch [')]
    assert len(train) == 4  # 4 iterations per epoch, every 2, 2 epochs
    pattern = (
        r'Epoch \[1\]\[2/4\]\tlr: 1\.000e-02, eta: \d+:\d\d:\d\d, time: \d+\.\d{3}, '
        r'data_time: \d+\.\d{3}, loss_mse: (\d+\.\d{4}), loss: (\d+\.\d{4}), '
        r'grad_norm: \d+\.\d{4}$'
    )
    m = re.match(pattern, train[0])
    assert m, train[0]
    # the printed loss is the mean of the two iterations (equal batch sizes)
    assert float(m.group(2)) == pytest.approx((losses[0] + losses[1]) / 2, abs=1e-4)
    assert re.match(
        r'Epoch\(val\) \[1\]\[2\]\tloss_mse: \d+\.\d{4}, loss: \d+\.\d{4}$',
        [ln for ln in lines if ln.startswith('Epoch(val)')][0],
    )
    assert 'Exp name: toy.py' in lines

    assert records[0]['seed'] == 7 and records[0]['exp_name'] == 'toy.py'  # the meta first
    first = records[1]
    assert list(first)[:4] == ['mode', 'epoch', 'iter', 'lr']
    assert first['mode'] == 'train' and first['epoch'] == 1 and first['iter'] == 2
    assert first['lr'] == 0.01
    assert first['loss'] == round((losses[0] + losses[1]) / 2, 5)
    assert {'time', 'data_time', 'loss_mse', 'grad_norm'} <= set(first)
    modes = [(r['mode'], r['epoch'], r['iter']) for r in records[1:]]
    assert modes == [
        ('train', 1, 2),
        ('train', 1, 4),
        ('val', 1, 2),
        ('train', 2, 2),
        ('train', 2, 4),
        ('val', 2, 2),
    ]


def test_iter_lines(tmp_path):
    lines, records, _ = _run(tmp_path, IterBasedRunner, by_epoch=False)
    train = [ln for ln in lines if ln.startswith('Iter [')]
    assert [ln.split('\t')[0] for ln in train] == ['Iter [2/4]', 'Iter [4/4]']
    assert [r['iter'] for r in records[1:]] == [2, 4]


def test_logs_are_copied_to_out_dir(tmp_path):
    work = tmp_path / 'work'
    _, records, _ = _run(
        work,
        json_dir=tmp_path / 'remote' / 'work',
        out_dir=str(tmp_path / 'remote'),
        keep_local=False,
    )
    assert len(os.listdir(tmp_path / 'remote' / 'work')) == 1 and len(records) == 7
    assert not [f for f in os.listdir(work) if f.endswith('.log.json')]
