import pytest

from detkit.datasets.pipelines import Compose, Normalize


def test_compose_dicts_callables_and_drop():
    seen = []

    def add(r):
        seen.append('add')
        r['x'] = r.get('x', 0) + 1
        return r

    c = Compose([add, lambda r: None, add])
    assert c({'x': 1}) is None
    assert seen == ['add']  # the transform after the one returning None never runs
    c = Compose([add, add])
    assert c({'x': 0}) == {'x': 2}
    c = Compose([dict(type='Normalize', mean=[0] * 3, std=[1] * 3)])
    assert isinstance(c.transforms[0], Normalize)
    assert 'Normalize' in repr(c)


def test_compose_errors():
    with pytest.raises(TypeError, match='transform #1 must be callable'):
        Compose([lambda r: r, 3])
    with pytest.raises(KeyError, match="did you mean 'Normalize'"):
        Compose([dict(type='Normalise', mean=[0], std=[1])])
    with pytest.raises(TypeError, match='list of dicts'):
        Compose(dict(type='Normalize'))
