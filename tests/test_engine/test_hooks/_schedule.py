"""Run a real runner and record the lr / momentum each iteration trains with."""

import logging

import torch

from detkit.engine import EpochBasedRunner, Hook, IterBasedRunner

from .._toy import ToyModel, toy_loader

BASE_LR = 0.1
BASE_MOMENTUM = 0.9


class _Recorder(Hook):
    def __init__(self):
        self.lrs, self.moms = [], []

    def before_train_iter(self, runner):
        self.lrs.append(runner.current_lr()[0])
        self.moms.append(runner.current_momentum()[0])


def record(
    lr_config=None, momentum_config=None, epochs=3, batches=4, by_iter_runner=False, optimizer=None
):
    """lrs and momenta of ``epochs * batches`` iterations (``batches`` per epoch)."""
    logger = logging.getLogger('detkit.test_engine')
    logger.setLevel(logging.ERROR)
    model = ToyModel()
    optimizer = optimizer or torch.optim.SGD(model.parameters(), lr=BASE_LR, momentum=BASE_MOMENTUM)
    if by_iter_runner:
        runner = IterBasedRunner(model, optimizer, max_iters=epochs * batches, logger=logger)
    else:
        runner = EpochBasedRunner(model, optimizer, max_epochs=epochs, logger=logger)
    runner.register_training_hooks(lr_config, momentum_config=momentum_config, timer_config=None)
    rec = _Recorder()
    runner.register_hook(rec, 'LOWEST')
    runner.run([toy_loader(batches * 2, 2)], [('train', 1)])
    return rec.lrs, rec.moms
