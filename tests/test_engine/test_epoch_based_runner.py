import copy
import logging
import os.path as osp
import random

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from detkit.engine import EpochBasedRunner, Hook, build_optimizer, build_runner
from detkit.engine.priority import Priority

from ._toy import ToyDataset, ToyModel, toy_loader


def _quiet_logger():
    logger = logging.getLogger('detkit.test_engine')
    logger.setLevel(logging.ERROR)
    return logger


def _runner(model, work_dir, max_epochs=3, lr=0.05, runner_type='EpochBasedRunner'):
    optimizer = build_optimizer(model, dict(type='SGD', lr=lr, momentum=0.9))
    return build_runner(
        dict(type=runner_type, max_epochs=max_epochs),
        dict(
            model=model,
            optimizer=optimizer,
            work_dir=str(work_dir),
            logger=_quiet_logger(),
            meta=dict(seed=0),
        ),
    )


class Recorder(Hook):
    def __init__(self):
        self.losses = []
        self.calls = []

    def before_train_epoch(self, runner):
        self.calls.append(('before_train_epoch', runner.epoch))

    def after_train_iter(self, runner):
        self.losses.append(runner.outputs['loss'].item())

    def after_val_epoch(self, runner):
        self.calls.append(('after_val_epoch', runner.epoch))


def test_training_lowers_the_loss(tmp_path):
    torch.manual_seed(0)
    runner = _runner(ToyModel(), tmp_path, max_epochs=6)
    rec = Recorder()
    runner.register_training_hooks(None, dict(grad_clip=None))
    runner.register_hook(rec, 'LOWEST')
    runner.run([toy_loader(16, 4)], [('train', 1)])
    assert runner.epoch == 6 and runner.iter == 24 and runner.max_iters == 24
    assert np.mean(rec.losses[-4:]) < 0.2 * np.mean(rec.losses[:4])


def test_workflow_with_val_runs_val_step(tmp_path):
    model = ToyModel()
    runner = _runner(model, tmp_path, max_epochs=2)
    rec = Recorder()
    runner.register_hook(rec)
    before = copy.deepcopy(model.state_dict())
    runner.run([toy_loader(8, 2), toy_loader(6, 2)], [('train', 1), ('val', 1)])
    # 2 epochs x 3 val batches; no optimizer hook so the weights do not move
    assert model.val_calls == 6
    assert rec.calls == [
        ('before_train_epoch', 0),
        ('after_val_epoch', 1),
        ('before_train_epoch', 1),
        ('after_val_epoch', 2),
    ]
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, before[k])


def test_hooks_run_in_priority_order(tmp_path):
    runner = _runner(ToyModel(), tmp_path)
    order = []

    class Named(Hook):
        def __init__(self, name):
            self.name = name

        def before_run(self, runner):
            order.append(self.name)

    runner.register_hook(Named('normal1'))
    runner.register_hook(Named('lowest'), 'LOWEST')
    runner.register_hook(Named('highest'), Priority.HIGHEST)
    runner.register_hook(Named('int45'), 45)
    runner.register_hook(Named('normal2'), 'normal')
    runner.register_hook(Named('very_high'), 'VERY_HIGH')
    runner.call_hook('before_run')
    assert order == ['highest', 'very_high', 'int45', 'normal1', 'normal2', 'lowest']
    assert [h.priority for h in runner.hooks] == [0, 10, 45, 50, 50, 100]


def test_priority_values_and_errors():
    assert {p.name: p.value for p in Priority} == dict(
        HIGHEST=0,
        VERY_HIGH=10,
        HIGH=30,
        ABOVE_NORMAL=40,
        NORMAL=50,
        BELOW_NORMAL=60,
        LOW=70,
        VERY_LOW=90,
        LOWEST=100,
    )
    from detkit.engine import get_priority

    with pytest.raises(ValueError, match="did you mean 'NORMAL'"):
        get_priority('NORMALL')
    with pytest.raises(ValueError, match=r'\[0, 100\]'):
        get_priority(101)


def test_register_training_hooks_types_and_priorities(tmp_path):
    runner = _runner(ToyModel(), tmp_path)
    runner.register_training_hooks(
        lr_config=dict(policy='step', step=[1]),
        optimizer_config=dict(grad_clip=None),
        checkpoint_config=dict(interval=1),
        log_config=dict(interval=5, hooks=[dict(type='TextLoggerHook')]),
        momentum_config=dict(policy='cyclic'),
        custom_hooks_config=[
            dict(type='NumClassCheckHook'),
            dict(type='EmptyCacheHook', priority='BELOW_NORMAL'),
        ],
    )
    got = [(type(h).__name__, h.priority) for h in runner.hooks]
    assert got == [
        ('StepLrUpdaterHook', 10),
        ('CyclicMomentumUpdaterHook', 30),
        ('OptimizerHook', 40),
        ('CheckpointHook', 50),
        ('NumClassCheckHook', 50),
        ('EmptyCacheHook', 60),
        ('IterTimerHook', 70),
        ('TextLoggerHook', 90),
    ]
    assert runner.hooks[-1].interval == 5
    # 'CosineAnnealing' keeps its capitals; an unknown policy names the hook registry
    runner.register_training_hooks(lr_config=dict(policy='CosineAnnealing', min_lr=0))
    assert type(runner.hooks[1]).__name__ == 'CosineAnnealingLrUpdaterHook'
    with pytest.raises(KeyError, match="'StpLrUpdaterHook' is not in the hook registry"):
        runner.register_training_hooks(lr_config=dict(policy='stp'))


def test_bad_workflow_and_model_are_explained(tmp_path):
    runner = _runner(ToyModel(), tmp_path)
    with pytest.raises(ValueError, match='1 data loader'):
        runner.run([toy_loader()], [('train', 1), ('val', 1)])
    with pytest.raises(ValueError, match="'test'"):
        runner.run([toy_loader()], [('test', 1)])
    with pytest.raises(ValueError, match="no 'train' phase"):
        runner.run([toy_loader()], [('val', 1)])
    with pytest.raises(TypeError, match='must define train_step'):
        EpochBasedRunner(torch.nn.Linear(2, 1), max_epochs=1, logger=_quiet_logger())
    with pytest.raises(TypeError, match="unexpected argument 'max_epoch'"):
        build_runner(dict(type='EpochBasedRunner', max_epoch=1), dict(model=ToyModel()))


class NoisyDataset(ToyDataset):
    """Draws from python's, numpy's and torch's global RNGs, so resuming must restore all three."""

    def __getitem__(self, i):
        item = super().__getitem__(i)
        noise = 0.05 * (np.random.randn() + random.random() + torch.rand(()).item())
        return {'img': item['img'] + noise, 'target': item['target']}


class Stop(Exception):
    pass


class StopAfterEpoch(Hook):
    def __init__(self, epoch):
        self.epoch = epoch

    def after_train_epoch(self, runner):
        if runner.epoch + 1 == self.epoch:
            raise Stop


def _resume_run(work_dir, stop_after=None, resume=False):
    torch.manual_seed(0)
    np.random.seed(0)
    random.seed(0)
    model = ToyModel()
    if resume:
        # a different init and RNG state: everything must come from the checkpoint
        torch.nn.init.constant_(model.linear.weight, 5.0)
        torch.manual_seed(123)
        np.random.seed(123)
        random.seed(123)
    loader = DataLoader(NoisyDataset(12), batch_size=3, shuffle=True, num_workers=0)
    runner = _runner(model, work_dir, max_epochs=4, lr=0.02)
    runner.register_training_hooks(
        dict(policy='step', step=[2, 3], gamma=0.5), dict(grad_clip=None), dict(interval=1)
    )
    if stop_after is not None:
        runner.register_hook(StopAfterEpoch(stop_after), 'LOWEST')
    if resume:
        runner.resume(osp.join(work_dir, 'latest.pth'))
    try:
        runner.run([loader], [('train', 1)])
    except Stop:
        pass
    return model, runner


def test_resume_matches_uninterrupted_run(tmp_path):
    full, _ = _resume_run(tmp_path / 'full')
    _, stopped = _resume_run(tmp_path / 'part', stop_after=2)
    assert stopped.epoch == 1 and osp.islink(tmp_path / 'part' / 'latest.pth')
    assert osp.realpath(tmp_path / 'part' / 'latest.pth') == str(tmp_path / 'part' / 'epoch_2.pth')
    resumed, runner = _resume_run(tmp_path / 'part', resume=True)
    assert runner.epoch == 4 and runner.iter == 16
    for (k, a), b in zip(full.state_dict().items(), resumed.state_dict().values()):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0, msg=k)
    assert runner.current_lr() == [pytest.approx(0.02 * 0.25)]
    assert 'rng_state' not in runner.meta and runner.meta['seed'] == 0


def test_resume_needs_counters(tmp_path):
    path = tmp_path / 'weights.pth'
    torch.save({'state_dict': ToyModel().state_dict()}, path)
    runner = _runner(ToyModel(), tmp_path)
    with pytest.raises(KeyError, match='use load_from instead'):
        runner.resume(str(path))


def test_current_lr_and_momentum(tmp_path):
    model = ToyModel()
    opt = torch.optim.Adam(model.parameters(), lr=0.1, betas=(0.8, 0.99))
    runner = EpochBasedRunner(
        model, opt, work_dir=str(tmp_path), max_epochs=1, logger=_quiet_logger()
    )
    assert runner.current_lr() == [0.1] and runner.current_momentum() == [0.8]
    runner.optimizer = {'a': opt, 'b': torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.7)}
    assert runner.current_lr() == {'a': [0.1], 'b': [0.2]}
    assert runner.current_momentum() == {'a': [0.8], 'b': [0.7]}


def test_meta_passes_through_to_checkpoints(tmp_path):
    model = ToyModel()
    model.CLASSES = ('a', 'b')
    optimizer = build_optimizer(model, dict(type='SGD', lr=0.1))
    meta = dict(
        env_info='sys.platform: linux', config="model = dict(type='X')", seed=42, exp_name='x.py'
    )
    runner = EpochBasedRunner(
        model,
        optimizer,
        work_dir=str(tmp_path),
        logger=_quiet_logger(),
        meta=dict(meta),
        max_epochs=1,
    )
    runner.register_training_hooks(None, checkpoint_config=dict(interval=1))
    runner.run([toy_loader()], [('train', 1)])
    saved = torch.load(tmp_path / 'epoch_1.pth', weights_only=True)['meta']
    for k, v in meta.items():
        assert saved[k] == v
    assert saved['CLASSES'] == ('a', 'b') and saved['epoch'] == 1 and saved['iter'] == 4
    assert set(saved['rng_state']) >= {'python', 'numpy', 'torch'}
    assert 'rng_state' not in runner.meta  # only the checkpoint carries it
    assert runner.meta['hook_msgs']['last_ckpt'] == str(tmp_path / 'epoch_1.pth')


def test_resume_rescales_iterations_for_a_new_gpu_count(tmp_path):
    model = ToyModel()
    runner = _runner(model, tmp_path)
    runner._epoch, runner._iter = 1, 5
    runner.meta['config'] = "gpu_ids = range(0, 8)\nmodel = dict(type='X')\n"
    runner.save_checkpoint(str(tmp_path))
    resumed = _runner(ToyModel(), tmp_path)
    resumed.resume(str(tmp_path / 'latest.pth'))
    assert resumed.epoch == 2 and resumed.iter == 5 * 8  # 8 GPUs then, 1 process now
