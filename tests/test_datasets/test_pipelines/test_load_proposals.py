import numpy as np
import pytest

from detkit.datasets.pipelines import LoadProposals


def test_load_proposals():
    props = np.array([[0, 0, 2, 2, .9], [1, 1, 3, 3, .8], [2, 2, 4, 4, .7]], np.float32)
    out = LoadProposals(num_max_proposals=2)(dict(proposals=props, bbox_fields=[]))
    np.testing.assert_array_equal(out['proposals'], props[:2, :4])
    assert out['bbox_fields'] == ['proposals']
    out = LoadProposals()(dict(proposals=np.zeros((0, 4), np.float32)))
    np.testing.assert_array_equal(out['proposals'], [[0, 0, 0, 0]])
    with pytest.raises(ValueError, match=r'\(n, 4\) or \(n, 5\)'):
        LoadProposals()(dict(proposals=np.zeros((2, 3))))
    with pytest.raises(KeyError, match="LoadProposals needs the key 'proposals'"):
        LoadProposals()({})
