import torch

from detkit.models.task_modules import build_prior_generator


def test_points_with_and_without_stride():
    gen = build_prior_generator(dict(type='MlvlPointGenerator', strides=[8, (16, 32)]))
    assert gen.num_base_priors == [1, 1]
    p = gen.grid_priors([(2, 3), (1, 2)], device='cpu')
    assert p[0].tolist() == [[4, 4], [12, 4], [20, 4], [4, 12], [12, 12], [20, 12]]
    assert p[1].tolist() == [[8, 16], [24, 16]]
    ps = gen.grid_priors([(2, 3), (1, 2)], device='cpu', with_stride=True)
    assert ps[1].tolist() == [[8, 16, 16, 32], [24, 16, 16, 32]]
    zero = build_prior_generator(dict(type='MlvlPointGenerator', strides=[8], offset=0.))
    assert zero.grid_priors([(1, 2)], device='cpu')[0].tolist() == [[0, 0], [8, 0]]


def test_sparse_and_valid():
    gen = build_prior_generator(dict(type='MlvlPointGenerator', strides=[8]))
    full = gen.single_level_grid_priors((3, 4), 0, device='cpu')
    idx = torch.tensor([0, 5, 11])
    assert torch.equal(gen.sparse_priors(idx, (3, 4), 0, device='cpu'), full[idx])
    flags = gen.valid_flags([(3, 4)], (17, 20), device='cpu')[0]
    assert flags.view(3, 4).tolist() == [[True] * 3 + [False]] * 3
