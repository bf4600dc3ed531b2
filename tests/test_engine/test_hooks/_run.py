"""A small runner factory for hook tests."""

import logging

import torch

from detkit.engine import EpochBasedRunner, Hook

from .._toy import ToyModel


def quiet_logger():
    logger = logging.getLogger('detkit.test_engine')
    logger.setLevel(logging.ERROR)
    return logger


def make_runner(tmp_path=None, model=None, epochs=2, lr=0.1, momentum=0.0, meta=None):
    model = model or ToyModel()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    return EpochBasedRunner(
        model,
        optimizer,
        work_dir=str(tmp_path) if tmp_path else None,
        logger=quiet_logger(),
        max_epochs=epochs,
        meta=meta,
    )


class ParamRecorder(Hook):
    """The linear layer's weight after every iteration (register it after the EMA hook)."""

    def __init__(self):
        self.weights = []

    def after_train_iter(self, runner):
        self.weights.append(runner.model.linear.weight.detach().clone().double())
