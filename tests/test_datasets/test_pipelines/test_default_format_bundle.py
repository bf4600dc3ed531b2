import numpy as np
import torch
from _core_pipeline_data import make_results

from detkit.datasets.pipelines import DefaultFormatBundle
from detkit.structures import BitmapMasks


def test_bundle_fields():
    res = make_results()
    res['gt_bboxes_ignore'] = np.zeros((0, 4), np.float32)
    res['proposals'] = np.ones((2, 4), np.float32)
    img = res['img'].copy()
    out = DefaultFormatBundle()(res)
    assert out['img'].shape == (3, 20, 30) and out['img'].dtype == torch.float32
    assert out['img'].is_contiguous()
    assert torch.equal(out['img'], torch.from_numpy(img.astype(np.float32)).permute(2, 0, 1))
    assert out['gt_bboxes'].dtype == torch.float32 and out['gt_bboxes'].shape == (3, 4)
    assert out['gt_labels'].dtype == torch.int64
    assert out['gt_bboxes_ignore'].shape == (0, 4) and out['proposals'].shape == (2, 4)
    assert isinstance(out['gt_masks'], BitmapMasks)  # masks stay objects
    assert out['gt_semantic_seg'].shape == (1, 20, 30)
    # meta defaults when no Resize / Pad / Normalize ran
    assert out['pad_shape'] == (20, 30, 3)
    np.testing.assert_array_equal(out['scale_factor'], np.ones(4, np.float32))
    assert out['scale_factor'].dtype == np.float32
    np.testing.assert_array_equal(out['img_norm_cfg']['mean'], [0, 0, 0])


def test_bundle_options():
    res = dict(img=np.zeros((4, 5), np.uint8), pad_shape=(8, 8), scale_factor=np.full(4, 2.0))
    out = DefaultFormatBundle(img_to_float=False, pad_val=dict(seg=0))(res)
    assert out['img'].shape == (1, 4, 5) and out['img'].dtype == torch.uint8
    assert out['pad_shape'] == (8, 8) and out['scale_factor'][0] == 2.0  # kept
    assert len(out['img_norm_cfg']['mean']) == 1
    assert DefaultFormatBundle(pad_val=dict(seg=0)).pad_val == dict(img=0, masks=0, seg=0)
    assert DefaultFormatBundle()(dict(gt_labels=np.array([1])))['gt_labels'].tolist() == [1]
