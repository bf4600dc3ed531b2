import numpy as np
import pytest

from detkit.datasets.pipelines.cut_out import CutOut


def _feed(monkeypatch, name, values):
    it = iter(values)
    monkeypatch.setattr(np.random, name, lambda *a, **k: next(it))


def test_fixed_shape_hole(monkeypatch):
    # n_holes, x1, y1, candidate index
    _feed(monkeypatch, 'randint', [1, 2, 3, 0])
    img = np.full((8, 10, 3), 7, np.uint8)
    out = CutOut(n_holes=1, cutout_shape=(4, 2), fill_in=(1, 2, 3))(dict(img=img))['img']
    expect = np.full((8, 10, 3), 7, np.uint8)
    expect[3:5, 2:6] = (1, 2, 3)  # w=4 along x, h=2 along y
    np.testing.assert_array_equal(out, expect)


def test_ratio_hole_is_clipped_at_border(monkeypatch):
    _feed(monkeypatch, 'randint', [2, 8, 0, 1, 0, 6, 0])
    img = np.full((8, 10, 3), 7, np.uint8)
    t = CutOut(n_holes=(1, 3), cutout_ratio=[(0.1, 0.1), (0.5, 0.25)])
    out = t(dict(img=img))['img']
    expect = np.full((8, 10, 3), 7, np.uint8)
    expect[0:2, 8:10] = 0  # hole 1, candidate 1: w = 5, h = 2, clipped at x = 10
    # hole 2, candidate 0: w = int(1.0) = 1, h = int(0.8) = 0 -> drops nothing
    out_expect = expect
    np.testing.assert_array_equal(out, out_expect)


def test_seeded_hole_count_in_range():
    np.random.seed(0)
    img = np.ones((20, 20, 3), np.uint8)
    out = CutOut(n_holes=(2, 4), cutout_shape=[(1, 1)])(dict(img=img))['img']
    assert 2 <= (out == 0).all(-1).sum() <= 4


def test_bad_arguments():
    with pytest.raises(ValueError, match='exactly one'):
        CutOut(n_holes=1)
    with pytest.raises(ValueError, match='exactly one'):
        CutOut(n_holes=1, cutout_shape=(1, 1), cutout_ratio=(0.1, 0.1))
    with pytest.raises(ValueError, match='n_holes'):
        CutOut(n_holes=(3, 1), cutout_shape=(1, 1))
    with pytest.raises(KeyError, match="CutOut.*'img'"):
        CutOut(n_holes=1, cutout_shape=(1, 1))(dict())
