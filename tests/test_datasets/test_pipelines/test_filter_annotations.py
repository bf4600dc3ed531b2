import numpy as np
import pytest
from _core_pipeline_data import make_results

from detkit.datasets.pipelines import FilterAnnotations


@pytest.mark.parametrize('kind', ['bitmap', 'polygon'])
def test_filter_by_box_and_mask(kind):
    boxes = np.array([[0, 0, 5, 5], [2, 2, 3, 8], [4, 4, 10, 6]], np.float32)
    labels = np.array([0, 1, 2])
    out = FilterAnnotations(min_gt_bbox_wh=(1., 1.))(make_results(boxes=boxes, labels=labels,
                                                                  kind=kind))
    # width 1 is not > 1: the second instance goes, with its label and mask
    np.testing.assert_array_equal(out['gt_bboxes'], boxes[[0, 2]])
    assert out['gt_labels'].tolist() == [0, 2] and len(out['gt_masks']) == 2
    out = FilterAnnotations(by_box=False, by_mask=True, min_gt_mask_area=13)(
        make_results(boxes=boxes, labels=labels, kind=kind))
    assert out['gt_labels'].tolist() == [0]  # areas 25, 6, 12
    out = FilterAnnotations(min_gt_bbox_wh=(2., 1.), by_mask=True, min_gt_mask_area=13)(
        make_results(boxes=boxes, labels=labels, kind=kind))
    assert out['gt_labels'].tolist() == [0]


def test_empty_results():
    boxes = np.array([[0, 0, 1, 1]], np.float32)
    assert FilterAnnotations()(make_results(boxes=boxes, labels=np.array([0]))) is None
    out = FilterAnnotations(keep_empty=False)(make_results(boxes=boxes, labels=np.array([0])))
    assert out['gt_bboxes'].shape == (0, 4) and len(out['gt_masks']) == 0
    none = make_results(boxes=np.zeros((0, 4), np.float32), labels=np.zeros((0,), np.int64))
    assert FilterAnnotations()(none) is none
    with pytest.raises(ValueError, match='by_box and by_mask'):
        FilterAnnotations(by_box=False)
    with pytest.raises(KeyError, match="FilterAnnotations needs the key 'gt_masks'"):
        FilterAnnotations(by_box=False, by_mask=True)({'gt_bboxes': boxes})
