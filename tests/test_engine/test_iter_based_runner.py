import logging
import os.path as osp

import numpy as np
import torch
from torch.utils.data import DataLoader

from detkit.engine import Hook, IterLoader, build_optimizer, build_runner

from ._toy import ToyDataset, ToyModel, toy_loader


def _runner(model, work_dir, max_iters, lr=0.05):
    logger = logging.getLogger('detkit.test_engine')
    logger.setLevel(logging.ERROR)
    optimizer = build_optimizer(model, dict(type='SGD', lr=lr, momentum=0.9))
    return build_runner(
        dict(type='IterBasedRunner', max_iters=max_iters),
        dict(model=model, optimizer=optimizer, work_dir=str(work_dir), logger=logger),
    )


class Recorder(Hook):
    def __init__(self):
        self.losses, self.epochs, self.inner = [], [], []

    def after_train_iter(self, runner):
        self.losses.append(runner.outputs['loss'].item())
        self.epochs.append(runner.epoch)
        self.inner.append(runner.inner_iter)


def test_trains_cycles_the_loader_and_lowers_the_loss(tmp_path):
    torch.manual_seed(0)
    runner = _runner(ToyModel(), tmp_path, max_iters=20)
    rec = Recorder()
    runner.register_training_hooks(None, dict(grad_clip=None))
    runner.register_hook(rec, 'LOWEST')
    runner.run([toy_loader(8, 2)], [('train', 1)])
    assert runner.iter == 20
    # 4 batches per pass; as in mmcv, runner.epoch is read before the batch is
    # fetched, so it turns over one iteration after the pass does
    assert rec.epochs == [max(0, (i - 1) // 4) for i in range(20)]
    assert np.mean(rec.losses[-4:]) < 0.2 * np.mean(rec.losses[:4])


def test_workflow_with_val(tmp_path):
    model = ToyModel()
    runner = _runner(model, tmp_path, max_iters=6)
    rec = Recorder()
    runner.register_hook(rec)
    runner.run([toy_loader(8, 2), toy_loader(4, 2)], [('train', 3), ('val', 2)])
    assert runner.iter == 6 and model.val_calls == 4
    assert rec.inner == [0, 1, 2, 0, 1, 2]  # inner_iter restarts with every phase


def test_iter_loader_sets_sampler_epoch():
    class Sampler(torch.utils.data.Sampler):
        def __init__(self):
            self.epochs = []

        def set_epoch(self, e):
            self.epochs.append(e)

        def __iter__(self):
            return iter(range(4))

        def __len__(self):
            return 4

    sampler = Sampler()
    loader = IterLoader(DataLoader(ToyDataset(4), batch_size=2, sampler=sampler))
    for _ in range(5):
        next(loader)
    assert loader.epoch == 2 and sampler.epochs == [1, 2] and len(loader) == 2


class Stop(Exception):
    pass


class StopAt(Hook):
    def after_train_iter(self, runner):
        if runner.iter + 1 == 8:
            raise Stop


def _run(work_dir, stop=False, resume=False):
    torch.manual_seed(0)
    model = ToyModel()
    if resume:
        torch.manual_seed(99)
    loader = DataLoader(ToyDataset(8), batch_size=2, shuffle=True)
    runner = _runner(model, work_dir, max_iters=12, lr=0.02)
    runner.register_training_hooks(
        dict(policy='step', by_epoch=False, step=[8]),
        dict(grad_clip=None),
        dict(interval=4, by_epoch=False),
    )
    if stop:
        runner.register_hook(StopAt(), 'LOWEST')
    if resume:
        runner.resume(osp.join(work_dir, 'latest.pth'))
    try:
        runner.run([loader], [('train', 1)])
    except Stop:
        pass
    return model, runner


def test_resume_at_a_pass_boundary_matches_uninterrupted_run(tmp_path):
    # stopped after 8 iterations = 2 full passes of 4 batches
    full, _ = _run(tmp_path / 'a')
    _run(tmp_path / 'b', stop=True)
    assert osp.realpath(tmp_path / 'b' / 'latest.pth') == str(tmp_path / 'b' / 'iter_8.pth')
    resumed, runner = _run(tmp_path / 'b', resume=True)
    assert runner.iter == 12 and runner.epoch == 2  # 3rd pass, counted from the checkpoint
    for a, b in zip(full.state_dict().values(), resumed.state_dict().values()):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0)
    ckpt = torch.load(tmp_path / 'b' / 'iter_12.pth', weights_only=True)
    assert ckpt['meta']['iter'] == 12 and ckpt['meta']['epoch'] == 3  # mmcv: epoch + 1
