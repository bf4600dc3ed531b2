"""Every LR policy against a hand computation of mmcv's / MMDetection's formula.

The expected values are written out independently of the implementation
(closed forms per iteration i / epoch e; 4 iterations per epoch).
"""

from math import cos, pi

import pytest
import torch

from detkit.engine import CosineAnnealingLrUpdaterHook, StepLrUpdaterHook
from detkit.registry import HOOKS

from ._schedule import BASE_LR, record


def close(got, expected):
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected)):
        assert g == pytest.approx(e, rel=1e-9, abs=1e-15), f'iteration {i}: {g} != {e}'


def cosine(start, end, t, weight=1.0):
    return end + 0.5 * weight * (start - end) * (1 + cos(pi * t))


def test_step_by_epoch_with_linear_warmup():
    lrs, _ = record(
        dict(policy='step', step=[2, 3], warmup='linear', warmup_iters=3, warmup_ratio=0.1),
        epochs=4,
    )
    # warmup: lr * (1 - (1 - i/3) * 0.9) for i = 0, 1, 2; the schedule from iteration 3
    close(lrs, [0.01, 0.04, 0.07] + [0.1] * 5 + [0.01] * 4 + [0.001] * 4)


def test_step_by_iter_int_step_and_min_lr():
    lrs, _ = record(dict(policy='step', by_epoch=False, step=5, gamma=0.5, min_lr=0.02))
    close(lrs, [0.1] * 5 + [0.05] * 5 + [0.025, 0.025])
    lrs, _ = record(dict(policy='step', by_epoch=False, step=3, gamma=0.5, min_lr=0.02))
    close(lrs, [0.1] * 3 + [0.05] * 3 + [0.025] * 3 + [0.02] * 3)


def test_constant_warmup_by_iter():
    lrs, _ = record(
        dict(policy='fixed', by_epoch=False, warmup='constant', warmup_iters=5, warmup_ratio=0.25)
    )
    close(lrs, [0.025] * 5 + [0.1] * 7)


def test_exp_warmup_by_epoch_policy():
    lrs, _ = record(dict(policy='Fixed', warmup='exp', warmup_iters=5, warmup_ratio=0.1))
    close(lrs, [0.1 * 0.1 ** (1 - i / 5) for i in range(5)] + [0.1] * 7)


def test_warmup_by_epoch_counts_epochs():
    # warmup_iters=2 epochs = 8 iterations; by-iter poly schedule underneath
    lrs, _ = record(
        dict(
            policy='poly',
            by_epoch=False,
            power=1.0,
            min_lr=0.0,
            warmup='linear',
            warmup_iters=2,
            warmup_ratio=0.5,
            warmup_by_epoch=True,
        ),
        epochs=3,
    )
    regular = [0.1 * (1 - i / 12) for i in range(12)]
    close(lrs, [r * (1 - (1 - i / 8) * 0.5) for i, r in enumerate(regular[:8])] + regular[8:])


def test_exp_policy():
    lrs, _ = record(dict(policy='exp', gamma=0.9))
    close(lrs, [0.1 * 0.9 ** (i // 4) for i in range(12)])


def test_poly_policy():
    lrs, _ = record(dict(policy='poly', by_epoch=False, power=2.0, min_lr=0.01))
    close(lrs, [0.09 * (1 - i / 12) ** 2 + 0.01 for i in range(12)])


def test_inv_policy():
    lrs, _ = record(dict(policy='inv', gamma=0.1, power=0.5))
    close(lrs, [0.1 * (1 + 0.1 * (i // 4)) ** -0.5 for i in range(12)])


def test_cosine_annealing():
    lrs, _ = record(dict(policy='CosineAnnealing', by_epoch=False, min_lr_ratio=0.1))
    close(lrs, [0.01 + 0.5 * 0.09 * (1 + cos(pi * i / 12)) for i in range(12)])
    lrs, _ = record(dict(policy='CosineAnnealing', min_lr=0.0))
    close(lrs, [0.05 * (1 + cos(pi * (i // 4) / 3)) for i in range(12)])
    with pytest.raises(ValueError, match='exactly one of min_lr and min_lr_ratio'):
        CosineAnnealingLrUpdaterHook(min_lr=0.0, min_lr_ratio=0.1)


def test_linear_annealing():
    lrs, _ = record(dict(policy='LinearAnnealing', by_epoch=False, min_lr=0.0))
    close(lrs, [0.1 * (1 - i / 12) for i in range(12)])


def test_flat_cosine_annealing():
    lrs, _ = record(dict(policy='FlatCosineAnnealing', start_percent=0.5, min_lr=0.0), epochs=4)
    # flat for epochs 0, 1 (start = round(4 * 0.5) = 2), then cosine over 2 epochs
    close(lrs, [0.1] * 8 + [0.1] * 4 + [0.05] * 4)


def test_cosine_restart():
    lrs, _ = record(
        dict(
            policy='CosineRestart',
            by_epoch=False,
            periods=[5, 7],
            restart_weights=[1, 0.5],
            min_lr=0.01,
        )
    )
    expected = [cosine(0.1, 0.01, i / 5) for i in range(5)]
    expected += [cosine(0.1, 0.01, (i - 5) / 7, 0.5) for i in range(5, 12)]
    close(lrs, expected)


def test_cyclic_with_gamma():
    lrs, moms = record(
        dict(
            policy='cyclic', target_ratio=(10, 1e-4), cyclic_times=2, step_ratio_up=0.4, gamma=0.5
        ),
        momentum_config=dict(
            policy='cyclic', target_ratio=(0.85 / 0.95, 1), cyclic_times=2, step_ratio_up=0.4
        ),
    )
    # 12 iterations, 2 cycles of 6, rising for int(0.4 * 6) = 2
    expected = []
    for i in range(12):
        c, j = divmod(i, 6)
        s = 0.5**c
        peak = 1 - s + 10 * s  # the amplitude shrinks by gamma per cycle
        if j < 2:
            expected.append(cosine(BASE_LR, BASE_LR * peak, j / 2))
        else:
            expected.append(cosine(BASE_LR * peak, BASE_LR * 1e-4, (j - 2) / 4))
    close(lrs, expected)
    low = 0.9 * 0.85 / 0.95
    close(
        moms,
        [
            cosine(0.9, low, (i % 6) / 2) if i % 6 < 2 else cosine(low, 0.9, (i % 6 - 2) / 4)
            for i in range(12)
        ],
    )


def test_one_cycle_with_momentum():
    lrs, moms = record(
        dict(policy='OneCycle', max_lr=0.5, pct_start=0.25),
        momentum_config=dict(policy='OneCycle'),
        by_iter_runner=True,
    )
    base = 0.5 / 25  # initial lr = max_lr / div_factor; phases end at 0.25 * 12 - 1 = 2, 11
    expected = [
        cosine(base, 0.5, i / 2) if i <= 2 else cosine(0.5, base / 1e4, (i - 2) / 9)
        for i in range(12)
    ]
    close(lrs, expected)
    up = 0.3 * 12 - 1  # momentum's own pct_start default 0.3
    close(
        moms,
        [
            cosine(0.95, 0.85, i / up) if i <= up else cosine(0.85, 0.95, (i - up) / (11 - up))
            for i in range(12)
        ],
    )


def test_one_cycle_three_phase_linear():
    lrs, _ = record(
        dict(
            policy='OneCycle',
            max_lr=0.5,
            pct_start=0.25,
            three_phase=True,
            anneal_strategy='linear',
        ),
        by_iter_runner=True,
    )
    base = 0.02
    expected = []
    for i in range(12):
        if i <= 2:
            expected.append(base + (0.5 - base) * i / 2)
        elif i <= 4:  # back down to the initial lr by 2 * 0.25 * 12 - 2
            expected.append(0.5 + (base - 0.5) * (i - 2) / 2)
        else:
            expected.append(base + (base / 1e4 - base) * (i - 4) / 7)
    close(lrs, expected)


def test_yolox_schedule():
    # the yolox_s_8x8_300e_coco.py lr_config, shrunk: 4 epochs of 4 iterations
    lrs, _ = record(
        dict(
            policy='YOLOX',
            warmup='exp',
            by_epoch=False,
            warmup_by_epoch=True,
            warmup_ratio=1,
            warmup_iters=1,
            num_last_epochs=1,
            min_lr_ratio=0.05,
        ),
        epochs=4,
    )
    expected = [0.1 * ((i + 1) / 4) ** 2 for i in range(4)]  # quadratic warmup over 4 iters
    for i in range(4, 16):
        p = i + 1
        expected.append(0.005 if p >= 16 - 4 else cosine(0.1, 0.005, (p - 4) / (16 - 4 - 4)))
    close(lrs, expected)


def test_dict_of_optimizers_are_scheduled_separately():
    model = torch.nn.Linear(2, 2)
    optimizers = {
        'a': torch.optim.SGD(model.parameters(), lr=0.1),
        'b': torch.optim.SGD(model.parameters(), lr=1.0),
    }

    class Runner:
        epoch, iter, optimizer = 1, 0, optimizers

    hook = StepLrUpdaterHook(step=[1], gamma=0.5)
    hook.before_run(Runner)
    hook.before_train_epoch(type('R', (Runner,), {'data_loader': [0, 0]}))
    assert [g['lr'] for g in optimizers['a'].param_groups] == [0.05]
    assert [g['lr'] for g in optimizers['b'].param_groups] == [0.5]


def test_argument_errors_name_the_hook():
    with pytest.raises(ValueError, match="did you mean 'linear'"):
        HOOKS.build(dict(type='StepLrUpdaterHook', step=[1], warmup='lienar', warmup_iters=2))
    with pytest.raises(ValueError, match='warmup_iters must be > 0'):
        StepLrUpdaterHook(step=[1], warmup='linear')
    with pytest.raises(ValueError, match='only supports by_epoch=False'):
        HOOKS.build(dict(type='CyclicLrUpdaterHook', by_epoch=True))
    with pytest.raises(TypeError, match='LrUpdaterHook'):
        HOOKS.get('CosineAnnealingLrUpdaterHook').__mro__[1]()  # the abstract base


def test_step_accepts_a_tuple_and_rejects_bad_steps():
    assert StepLrUpdaterHook(step=(8, 11)).step == [8, 11]
    with pytest.raises(TypeError, match='positive int or a list'):
        StepLrUpdaterHook(step=[8, 0])
    with pytest.raises(TypeError, match='positive int or a list'):
        StepLrUpdaterHook(step=2.5)


@pytest.mark.parametrize('by_epoch', [True, False])
@pytest.mark.parametrize('warmup', ['constant', 'linear', 'exp'])
def test_every_warmup_with_by_epoch_and_by_iter_policies(warmup, by_epoch):
    # 6 warmup iterations cross the first epoch boundary (4 iterations per epoch)
    lrs, _ = record(
        dict(policy='fixed', by_epoch=by_epoch, warmup=warmup, warmup_iters=6, warmup_ratio=0.2)
    )
    factor = {
        'constant': lambda i: 0.2,
        'linear': lambda i: 1 - (1 - i / 6) * (1 - 0.2),
        'exp': lambda i: 0.2 ** (1 - i / 6),
    }[warmup]
    close(lrs, [0.1 * factor(i) for i in range(6)] + [0.1] * 6)
