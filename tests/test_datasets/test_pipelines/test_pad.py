import numpy as np
import pytest
from _core_pipeline_data import make_results

from detkit.datasets.pipelines import Pad


@pytest.mark.parametrize('kind', ['bitmap', 'polygon'])
def test_size_divisor(kind):
    res = make_results(kind=kind)
    img, boxes = res['img'].copy(), res['gt_bboxes'].copy()
    out = Pad(size_divisor=16)(res)
    assert out['img'].shape == (32, 32, 3) and out['pad_shape'] == (32, 32, 3)
    assert out['img_shape'] == (20, 30, 3)  # the real image size stays
    np.testing.assert_array_equal(out['img'][:20, :30], img)
    assert (out['img'][20:] == 0).all() and (out['img'][:, 30:] == 0).all()
    assert out['pad_fixed_size'] is None and out['pad_size_divisor'] == 16
    np.testing.assert_array_equal(out['gt_bboxes'], boxes)
    m = out['gt_masks']
    assert (m.height, m.width) == (32, 32) and m.to_ndarray().shape == (3, 32, 32)
    np.testing.assert_array_equal(m.get_bboxes() if kind == 'bitmap'
                                  else m.to_bitmap().get_bboxes(), boxes)
    assert out['gt_semantic_seg'].shape == (32, 32)
    assert (out['gt_semantic_seg'][20:] == 255).all()


def test_fixed_size_square_and_values():
    out = Pad(size=(24, 40), pad_val=dict(img=(1, 2, 3), masks=0, seg=9))(make_results())
    assert out['img'].shape == (24, 40, 3) and out['pad_fixed_size'] == (24, 40)
    assert out['img'][23, 39].tolist() == [1, 2, 3]
    assert (out['gt_semantic_seg'][20:] == 9).all()
    out = Pad(pad_to_square=True, pad_val=dict(img=114))(make_results())
    assert out['img'].shape == (30, 30, 3) and out['pad_fixed_size'] == (30, 30)
    assert (out['img'][20:] == 114).all()
    with pytest.warns(DeprecationWarning):
        out = Pad(size_divisor=8, pad_val=7)(make_results(seg=False))
    assert out['img'][-1, -1].tolist() == [7, 7, 7]


def test_args():
    with pytest.raises(ValueError, match='exactly one'):
        Pad()
    with pytest.raises(ValueError, match='exactly one'):
        Pad(size=(2, 2), size_divisor=3)
    with pytest.raises(ValueError, match='pad_to_square'):
        Pad(size=(2, 2), pad_to_square=True)
    with pytest.raises(TypeError, match='pad_val'):
        Pad(size_divisor=2, pad_val=[1])
    with pytest.raises(KeyError, match="Pad needs the key 'img'"):
        Pad(size_divisor=2)({})
    with pytest.raises(ValueError, match='smaller shape'):
        Pad(size=(5, 5))(make_results())


def test_listed_field_missing():
    res = make_results()
    res['seg_fields'] = ['gt_seg']
    with pytest.raises(KeyError, match="Pad: results\\['seg_fields'\\] lists 'gt_seg'"):
        Pad(size_divisor=4)(res)
