"""Momentum policies and momentum warmup against hand computations of mmcv's formulas."""

from math import cos, pi

import pytest
import torch

from detkit.engine import StepMomentumUpdaterHook

from .._toy import ToyModel
from ._schedule import record


def close(got, expected):
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected)):
        assert g == pytest.approx(e, rel=1e-9), f'iteration {i}: {g} != {e}'


def test_step_momentum_by_epoch():
    _, moms = record(momentum_config=dict(policy='step', step=[1, 2], gamma=0.5, min_momentum=0.3))
    close(moms, [0.9] * 4 + [0.45] * 4 + [0.3] * 4)


def test_cosine_annealing_momentum_by_iter_with_linear_warmup():
    _, moms = record(
        momentum_config=dict(
            policy='CosineAnnealing',
            by_epoch=False,
            min_momentum_ratio=0.5,
            warmup='linear',
            warmup_iters=3,
            warmup_ratio=0.9,
        )
    )
    regular = [0.45 + 0.5 * 0.45 * (1 + cos(pi * i / 12)) for i in range(12)]
    # warmup divides by the lr-warmup factor 1 - (1 - i/3) * (1 - 0.9)
    close(moms, [r / (1 - (1 - i / 3) * 0.1) for i, r in enumerate(regular[:3])] + regular[3:])


def test_adam_betas_are_scheduled():
    model = ToyModel()
    adam = torch.optim.Adam(model.parameters(), lr=0.1, betas=(0.9, 0.999))
    _, moms = record(
        momentum_config=dict(policy='step', step=[1], gamma=0.5), optimizer=adam, epochs=2
    )
    close(moms, [0.9] * 4 + [0.45] * 4)
    assert adam.param_groups[0]['betas'] == (0.45, 0.999)


def test_optimizer_without_momentum_is_rejected():
    model = ToyModel()
    with pytest.raises(ValueError, match='neither momentum nor betas'):
        record(
            momentum_config=dict(policy='step', step=[1]),
            optimizer=torch.optim.Adadelta(model.parameters()),
        )
    with pytest.raises(TypeError, match='positive int'):
        StepMomentumUpdaterHook(step=[0])


def test_linear_annealing_momentum():
    _, moms = record(
        momentum_config=dict(policy='LinearAnnealing', by_epoch=False, min_momentum=0.5)
    )
    close(moms, [0.9 + (0.5 - 0.9) * i / 12 for i in range(12)])
