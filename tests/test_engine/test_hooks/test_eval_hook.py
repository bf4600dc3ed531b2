import logging
import os

import pytest
import torch
from torch.utils.data import DataLoader

from detkit.engine import EpochBasedRunner, EvalHook, IterBasedRunner
from detkit.engine.hooks.eval_hook import infer_rule

from .._toy import ToyDataset, ToyModel, toy_loader


class ScriptedDataset(ToyDataset):
    """``evaluate`` returns the next of the given metric dicts."""

    def __init__(self, metrics):
        super().__init__(4)
        self.metrics = list(metrics)
        self.calls = []

    def evaluate(self, results, logger=None, **kwargs):
        self.calls.append((len(results), kwargs))
        return self.metrics.pop(0)


def _runner(tmp_path, epochs=3, iters=None):
    logger = logging.getLogger('detkit.test_engine')
    logger.setLevel(logging.ERROR)
    model = ToyModel()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    if iters:
        return IterBasedRunner(model, opt, work_dir=str(tmp_path), logger=logger, max_iters=iters)
    return EpochBasedRunner(
        model, opt, work_dir=str(tmp_path), logger=logger, max_epochs=epochs, meta={}
    )


def _ckpts(path):
    return sorted(f for f in os.listdir(path) if f.startswith('best'))


def test_save_best_picks_the_best_epoch(tmp_path):
    ds = ScriptedDataset(
        [{'bbox_mAP': 0.1, 'bbox_mAP_50': 0.9}, {'bbox_mAP': 0.5}, {'bbox_mAP': 0.3}]
    )
    runner = _runner(tmp_path)
    hook = EvalHook(DataLoader(ds, batch_size=2), save_best='bbox_mAP', metric='bbox')
    runner.register_hook(hook, 'LOW')
    runner.run([toy_loader(4, 2)], [('train', 1)])
    assert hook.rule == 'greater'
    assert _ckpts(tmp_path) == ['best_bbox_mAP_epoch_2.pth']
    assert runner.meta['hook_msgs']['best_score'] == 0.5
    assert runner.meta['hook_msgs']['best_ckpt'] == str(tmp_path / 'best_bbox_mAP_epoch_2.pth')
    assert ds.calls == [(4, {'metric': 'bbox'})] * 3  # every image's result, eval_kwargs passed
    ckpt = torch.load(tmp_path / 'best_bbox_mAP_epoch_2.pth', weights_only=True)
    assert ckpt['meta']['epoch'] == 2
    assert hook.latest_results is not None and len(hook.latest_results) == 4


def test_auto_and_less_rules(tmp_path):
    ds = ScriptedDataset([{'loss_val': 3.0}, {'loss_val': 1.0}, {'loss_val': 2.0}])
    runner = _runner(tmp_path)
    hook = EvalHook(DataLoader(ds, batch_size=2), save_best='auto')
    runner.register_hook(hook, 'LOW')
    runner.run([toy_loader(4, 2)], [('train', 1)])
    assert hook.key_indicator == 'loss_val' and hook.rule == 'less'
    assert _ckpts(tmp_path) == ['best_loss_val_epoch_2.pth']


def test_metrics_go_to_the_log_buffer_and_start_interval(tmp_path):
    ds = ScriptedDataset([{'mAP': 0.2}, {'mAP': 0.4}])
    runner = _runner(tmp_path, epochs=4)
    seen = []
    hook = EvalHook(DataLoader(ds, batch_size=2), start=2, interval=2)
    orig = hook.evaluate

    def evaluate(r, results):
        out = orig(r, results)
        seen.append((r.epoch + 1, dict(r.log_buffer.output)))
        return out

    hook.evaluate = evaluate
    runner.register_hook(hook, 'LOW')
    runner.run([toy_loader(4, 2)], [('train', 1)])
    # start=2, interval=2: after epochs 2 and 4
    assert [(e, o['mAP']) for e, o in seen] == [(2, 0.2), (4, 0.4)]
    assert seen[0][1]['eval_iter_num'] == 2


def test_dynamic_intervals_by_iter(tmp_path):
    ds = ScriptedDataset([{'mAP': float(i)} for i in range(10)])
    runner = _runner(tmp_path, iters=10)
    evaluated = []
    hook = EvalHook(
        DataLoader(ds, batch_size=2), by_epoch=False, interval=4, dynamic_intervals=[(6, 1)]
    )
    hook._do_evaluate = lambda r: evaluated.append(r.iter + 1)
    runner.register_hook(hook, 'LOW')
    runner.run([toy_loader(4, 2)], [('train', 1)])
    # every 4 iterations until iteration 6, then every one
    assert evaluated == [4, 6, 7, 8, 9, 10]


def test_rule_inference_and_errors():
    assert infer_rule('bbox_mAP', ['mAP'], ['loss']) == 'greater'
    assert infer_rule('AR@100', ['AR@'], ['loss']) == 'greater'
    assert infer_rule('val_loss', ['mAP'], ['loss']) == 'less'
    with pytest.raises(ValueError, match='Cannot infer the rule'):
        EvalHook(toy_loader(), save_best='f1')
    with pytest.raises(KeyError, match="did you mean 'less'"):
        EvalHook(toy_loader(), save_best='f1', rule='les')
    with pytest.raises(TypeError, match='must be a DataLoader'):
        EvalHook([1, 2])
    with pytest.raises(ValueError, match='interval must be a positive'):
        EvalHook(toy_loader(), interval=0)


def test_metrics_are_logged_as_a_val_line(tmp_path):
    import io
    import json

    stream = io.StringIO()
    ds = ScriptedDataset([{'bbox_mAP': 0.25, 'bbox_mAP_copypaste': '0.250 0.500'}])
    runner = _runner(tmp_path, epochs=1)
    runner.logger = logging.getLogger('detkit.test_eval_log')
    runner.logger.handlers[:] = [logging.StreamHandler(stream)]
    runner.logger.setLevel(logging.INFO)
    runner.logger.propagate = False
    runner.register_training_hooks(
        None, log_config=dict(interval=2, hooks=[dict(type='TextLoggerHook')])
    )
    runner.register_hook(EvalHook(DataLoader(ds, batch_size=2)), 'LOW')
    runner.run([toy_loader(4, 2)], [('train', 1)])
    lines = stream.getvalue().splitlines()
    assert 'Epoch(val) [1][2]\tbbox_mAP: 0.2500, bbox_mAP_copypaste: 0.250 0.500' in lines
    with open(tmp_path / f'{runner.timestamp}.log.json') as f:
        last = json.loads(f.read().splitlines()[-1])
    assert last == {
        'mode': 'val',
        'epoch': 1,
        'iter': 2,
        'lr': 0.01,
        'bbox_mAP': 0.25,
        'bbox_mAP_copypaste': '0.250 0.500',
    }


def test_numpy_best_score_keeps_checkpoints_weights_only_loadable(tmp_path):
    import numpy as np

    ds = ScriptedDataset([{'bbox_mAP': np.float64(0.3)}])
    runner = _runner(tmp_path, epochs=1)
    runner.register_hook(EvalHook(DataLoader(ds, batch_size=2), save_best='bbox_mAP'), 'LOW')
    runner.run([toy_loader(4, 2)], [('train', 1)])
    assert type(runner.meta['hook_msgs']['best_score']) is float
    runner.save_checkpoint(str(tmp_path))
    meta = torch.load(tmp_path / 'latest.pth', weights_only=True)['meta']
    assert meta['hook_msgs']['best_score'] == 0.3
