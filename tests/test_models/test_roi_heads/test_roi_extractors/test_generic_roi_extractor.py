"""GenericRoIExtractor: sum and concat of every level's pooled features, plugins."""
import pytest
import torch
from torchvision.ops import roi_align as tv_roi_align

from detkit.models.roi_heads import GenericRoIExtractor

STRIDES = [4, 8]


def _feats():
    torch.manual_seed(0)
    return [torch.randn(2, 3, 32 // s * 4, 32 // s * 4, dtype=torch.float64) for s in STRIDES]


ROIS = torch.tensor([[0., 1., 2., 40., 50.], [1., 0., 0., 100., 60.]], dtype=torch.float64)


def _per_level():
    feats = _feats()
    return [tv_roi_align(f, ROIS, 7, 1 / s, 2, aligned=True) for f, s in zip(feats, STRIDES)]


def test_sum_and_concat():
    roi_layer = dict(type='RoIAlign', output_size=7, sampling_ratio=2)
    ext = GenericRoIExtractor(aggregation='sum', roi_layer=roi_layer, out_channels=3,
                              featmap_strides=STRIDES)
    ref = _per_level()
    torch.testing.assert_close(ext(_feats(), ROIS), ref[0] + ref[1], rtol=0, atol=1e-12)
    ext = GenericRoIExtractor(aggregation='concat', roi_layer=roi_layer, out_channels=6,
                              featmap_strides=STRIDES)
    torch.testing.assert_close(ext(_feats(), ROIS), torch.cat(ref, 1), rtol=0, atol=1e-12)
    assert ext(_feats(), ROIS[:0]).shape == (0, 6, 7, 7)


def test_bad_aggregation_and_channels():
    roi_layer = dict(type='RoIAlign', output_size=7, sampling_ratio=2)
    with pytest.raises(ValueError, match="aggregation must be one of.*'mean'"):
        GenericRoIExtractor(aggregation='mean', roi_layer=roi_layer, out_channels=3,
                            featmap_strides=STRIDES)
    ext = GenericRoIExtractor(aggregation='concat', roi_layer=roi_layer, out_channels=3,
                              featmap_strides=STRIDES)
    with pytest.raises(ValueError, match='out_channels >= 6'):
        ext(_feats(), ROIS)


def test_pre_and_post_plugins():
    roi_layer = dict(type='RoIAlign', output_size=7, sampling_ratio=2)
    ext = GenericRoIExtractor(
        aggregation='sum', roi_layer=roi_layer, out_channels=3, featmap_strides=STRIDES,
        pre_cfg=dict(type='ConvModule', in_channels=3, out_channels=3, kernel_size=1,
                     act_cfg=None),
        post_cfg=dict(type='ConvModule', in_channels=3, out_channels=3, kernel_size=1,
                      act_cfg=None)).double()
    ref = _per_level()
    pre, post = ext.pre_module, ext.post_module
    expected = post(pre(ref[0]) + pre(ref[1]))
    torch.testing.assert_close(ext(_feats(), ROIS), expected, rtol=0, atol=1e-10)
