"""YOLOV3Neck: YOLOv3 config layout, data flow, errors."""
import pytest
import torch
import torch.nn.functional as F

from detkit.models import build_neck
from detkit.models.necks import YOLOV3Neck


def test_yolov3_config_layout():
    with torch.device('meta'):
        m = build_neck(dict(type='YOLOV3Neck', num_scales=3, in_channels=[1024, 512, 256],
                            out_channels=[512, 256, 128]))
    assert list(dict(m.named_children())) == ['detect1', 'conv1', 'detect2', 'conv2', 'detect3']
    sd = m.state_dict()
    assert sd['detect1.conv1.conv.weight'].shape == (512, 1024, 1, 1)
    assert sd['detect1.conv2.conv.weight'].shape == (1024, 512, 3, 3)
    assert sd['conv1.conv.weight'].shape == (256, 512, 1, 1)
    assert sd['detect2.conv1.conv.weight'].shape == (256, 768, 1, 1)
    assert sd['detect3.conv1.conv.weight'].shape == (128, 384, 1, 1)
    assert m.detect1.conv1.activate.negative_slope == 0.1


def test_data_flow():
    m = YOLOV3Neck(2, [16, 8], [8, 4]).eval()
    c4, c5 = torch.randn(1, 8, 8, 8), torch.randn(1, 16, 4, 4)
    with torch.no_grad():
        out1, out2 = m((c4, c5))
        ref1 = m.detect1(c5)
        up = F.interpolate(m.conv1(ref1), scale_factor=2)
        ref2 = m.detect2(torch.cat([up, c4], 1))
    torch.testing.assert_close(out1, ref1)
    torch.testing.assert_close(out2, ref2)
    assert out1.shape == (1, 8, 4, 4) and out2.shape == (1, 4, 8, 8)


def test_errors():
    with pytest.raises(ValueError, match='same length'):
        YOLOV3Neck(3, [16, 8], [8, 4, 2])
    m = YOLOV3Neck(2, [16, 8], [8, 4])
    with pytest.raises(ValueError, match='num_scales=2 inputs.*but got 1'):
        m((torch.randn(1, 16, 4, 4),))
    with pytest.raises(ValueError, match=r'in_channels=\[16, 8\].*channels \[8, 16\]'):
        m((torch.randn(1, 16, 8, 8), torch.randn(1, 8, 4, 4)))
