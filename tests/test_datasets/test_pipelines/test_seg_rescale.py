import numpy as np

from detkit.datasets.pipelines import SegRescale


def test_seg_rescale():
    seg = np.arange(16, dtype=np.uint8).reshape(4, 4)
    out = SegRescale(scale_factor=0.5)(dict(gt_semantic_seg=seg, seg_fields=['gt_semantic_seg']))
    # nearest at half scale keeps every other pixel
    np.testing.assert_array_equal(out['gt_semantic_seg'], seg[::2, ::2])
    out = SegRescale(scale_factor=2)(dict(gt_semantic_seg=seg, seg_fields=['gt_semantic_seg']))
    np.testing.assert_array_equal(out['gt_semantic_seg'][::2, ::2], seg)
    same = SegRescale()(dict(gt_semantic_seg=seg, seg_fields=['gt_semantic_seg']))
    assert same['gt_semantic_seg'] is seg
