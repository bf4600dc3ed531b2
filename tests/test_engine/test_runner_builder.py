"""build_runner + register_training_hooks driven by the repository's MMDetection-style configs."""

import logging
import os

import pytest
import torch

from detkit.config import Config
from detkit.engine import (
    DefaultRunnerConstructor,
    EpochBasedRunner,
    Hook,
    IterBasedRunner,
    build_optimizer,
    build_runner,
)

from ._toy import ToyModel, toy_loader


class _LrRecorder(Hook):
    def __init__(self, lrs):
        self.lrs = lrs

    def before_train_iter(self, runner):
        self.lrs.append(runner.current_lr()[0])


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_schedule_1x_and_default_runtime(tmp_path):
    cfg_file = tmp_path / 'toy_1x.py'
    cfg_file.write_text(
        f"_base_ = ['{ROOT}/configs/_base_/schedules/schedule_1x.py',\n"
        f"          '{ROOT}/configs/_base_/default_runtime.py']\n"
        'lr_config = dict(warmup_iters=2, step=[1])\n'
        'runner = dict(max_epochs=2)\n'
        'log_config = dict(interval=2)\n'
    )
    cfg = Config.fromfile(str(cfg_file))
    torch.manual_seed(0)
    model = ToyModel(num_classes=2)
    logger = logging.getLogger('detkit.test_engine')
    logger.setLevel(logging.ERROR)
    runner = build_runner(
        cfg.runner,
        dict(
            model=model,
            optimizer=build_optimizer(model, cfg.optimizer),
            work_dir=str(tmp_path / 'work'),
            logger=logger,
            meta=dict(config=cfg.pretty_text),
        ),
    )
    runner.register_training_hooks(
        cfg.lr_config,
        cfg.optimizer_config,
        cfg.checkpoint_config,
        cfg.log_config,
        cfg.get('momentum_config', None),
        custom_hooks_config=cfg.get('custom_hooks', None),
    )
    assert [type(h).__name__ for h in runner.hooks] == [
        'StepLrUpdaterHook',
        'OptimizerHook',
        'CheckpointHook',
        'NumClassCheckHook',
        'IterTimerHook',
        'TextLoggerHook',
    ]
    lrs = []
    runner.register_hook(_LrRecorder(lrs), 'LOWEST')
    runner.run([toy_loader(8, 2)], cfg.workflow)
    # warmup_ratio=0.001 over 2 iterations, lr 0.02, decayed x0.1 from epoch 2
    assert lrs == pytest.approx(
        [0.02 * 0.001, 0.02 * (1 - 0.5 * 0.999), 0.02, 0.02, 0.002, 0.002, 0.002, 0.002]
    )
    files = sorted(os.listdir(tmp_path / 'work'))
    assert [f for f in files if f.endswith('.pth')] == ['epoch_1.pth', 'epoch_2.pth', 'latest.pth']
    assert len([f for f in files if f.endswith('.log.json')]) == 1
    opt = runner.optimizer
    assert opt.defaults['weight_decay'] == 1e-4 and opt.defaults['momentum'] == 0.9


def test_constructor_and_iter_runner():
    model = ToyModel()
    runner = build_runner(dict(type='IterBasedRunner', max_iters=3), dict(model=model))
    assert isinstance(runner, IterBasedRunner) and runner.max_iters == 3
    ctor = DefaultRunnerConstructor(dict(type='EpochBasedRunner', max_epochs=1), dict(model=model))
    assert isinstance(ctor(), EpochBasedRunner)
    with pytest.raises(TypeError, match='runner_cfg must be a dict'):
        DefaultRunnerConstructor([('type', 'EpochBasedRunner')])
    with pytest.raises(KeyError, match="did you mean 'EpochBasedRunner'"):
        build_runner(dict(type='EpochBaseRunner', max_epochs=1), dict(model=model))
