import pytest

from detkit.engine import LogBuffer


def test_weighted_average_of_the_last_n():
    buf = LogBuffer()
    buf.update({'loss': 1.0, 'acc': 0.5}, count=2)
    buf.update({'loss': 4.0}, count=1)
    buf.update({'loss': 2.0}, count=3)
    buf.average(2)
    # last two losses: (4 * 1 + 2 * 3) / 4; acc has one value
    assert buf.output == {'loss': 2.5, 'acc': 0.5} and buf.ready
    buf.average()  # n=0: everything, (1 * 2 + 4 + 2 * 3) / 6
    assert buf.output['loss'] == pytest.approx(2.0)
    buf.clear_output()
    assert buf.output == {} and not buf.ready and len(buf.val_history['loss']) == 3
    buf.clear()
    assert buf.val_history == {} and buf.n_history == {}


def test_errors():
    buf = LogBuffer()
    with pytest.raises(TypeError, match='expects a dict'):
        buf.update([1.0])
    with pytest.raises(ValueError, match='n must be >= 0'):
        buf.average(-1)
