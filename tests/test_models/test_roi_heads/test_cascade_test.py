"""cascade_test: scale_tensor by hand; cascade_aug_test on a single, unflipped
augmentation gives simple_test's boxes and masks (flip cases: test_cascade_roi_head.py)."""
import numpy as np
import torch
from test_cascade_roi_head import C, _constant_head, feats, metas  # beside this file

from detkit.models.roi_heads.cascade_test import cascade_aug_test, scale_tensor


def test_scale_tensor_from_every_meta_form():
    ref = torch.zeros(1, dtype=torch.float64)
    expected = [2., 3., 2., 3.]
    for sf in ([2., 3., 2., 3.], np.array(expected, np.float32),
               torch.tensor(expected, dtype=torch.float32)):
        out = scale_tensor(sf, ref)
        assert out.dtype == torch.float64 and out.tolist() == expected
    assert scale_tensor(1.5, ref).tolist() == [1.5] * 4


def test_one_augmentation_equals_simple_test():
    head, _ = _constant_head()
    m = metas(1)
    x = feats(1)
    proposals = [torch.tensor([[4., 4., 20., 20., .9], [30., 40., 60., 56., .5]])]
    with torch.no_grad():
        (aug_boxes, aug_masks), = cascade_aug_test(head, [x], proposals, [m], rescale=True)
        simple_boxes, simple_masks = head.simple_test(x, proposals, m, rescale=True)[0]
    for c in range(C):
        order_a = np.argsort(aug_boxes[c][:, 0])
        order_s = np.argsort(simple_boxes[c][:, 0])
        np.testing.assert_allclose(aug_boxes[c][order_a], simple_boxes[c][order_s],
                                   rtol=1e-5, atol=1e-5)
        for i, j in zip(order_a, order_s):
            np.testing.assert_array_equal(aug_masks[c][i], simple_masks[c][j])
    # the head's method is this function
    with torch.no_grad():
        via_head = head.aug_test([x], proposals, [m], rescale=True)[0][0]
    for c in range(C):
        np.testing.assert_array_equal(via_head[c], aug_boxes[c])
