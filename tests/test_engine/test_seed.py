import random

import numpy as np
import torch

from detkit.engine import get_rng_state, init_random_seed, set_random_seed, set_rng_state


def _draw():
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_set_random_seed_reproduces_all_generators():
    set_random_seed(3)
    a = _draw()
    set_random_seed(3, deterministic=True)
    assert _draw() == a
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    torch.backends.cudnn.deterministic = False


def test_init_random_seed():
    assert init_random_seed(5) == 5
    seed = init_random_seed()
    assert isinstance(seed, int) and 0 <= seed < 2**31


def test_rng_state_round_trip_through_a_weights_only_checkpoint(tmp_path):
    np.random.randn()  # a cached gaussian is part of numpy's state
    state = get_rng_state()
    expected = _draw()
    torch.save({'meta': {'rng_state': state}}, tmp_path / 'c.pth')
    _draw()
    loaded = torch.load(tmp_path / 'c.pth', weights_only=True)['meta']['rng_state']
    set_rng_state(loaded)
    assert _draw() == expected
