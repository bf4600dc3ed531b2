"""ConvFCBBoxHead and its shared forms: layer layout (checkpoint keys), torchvision's
TwoMLPHead + FastRCNNPredictor as reference, init, config errors."""
import pytest
import torch
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead

from detkit.models.roi_heads import ConvFCBBoxHead, Shared2FCBBoxHead, Shared4Conv1FCBBoxHead


def test_shared2fc_keys_and_torchvision_equivalence():
    torch.manual_seed(0)
    num_classes, in_channels, size, width = 4, 8, 7, 32
    head = Shared2FCBBoxHead(in_channels=in_channels, fc_out_channels=width, roi_feat_size=size,
                             num_classes=num_classes)
    assert list(head.state_dict()) == [
        'fc_cls.weight', 'fc_cls.bias', 'fc_reg.weight', 'fc_reg.bias',
        'shared_fcs.0.weight', 'shared_fcs.0.bias', 'shared_fcs.1.weight', 'shared_fcs.1.bias']
    tv_head = TwoMLPHead(in_channels * size * size, width)
    tv_pred = FastRCNNPredictor(width, num_classes + 1)  # torchvision counts background, first
    head.shared_fcs[0].load_state_dict(tv_head.fc6.state_dict())
    head.shared_fcs[1].load_state_dict(tv_head.fc7.state_dict())
    # our background is the last class and has no regression
    order = list(range(1, num_classes + 1)) + [0]
    head.fc_cls.weight.data.copy_(tv_pred.cls_score.weight[order])
    head.fc_cls.bias.data.copy_(tv_pred.cls_score.bias[order])
    head.fc_reg.weight.data.copy_(tv_pred.bbox_pred.weight[4:])
    head.fc_reg.bias.data.copy_(tv_pred.bbox_pred.bias[4:])
    x = torch.randn(5, in_channels, size, size)
    cls_score, bbox_pred = head(x)
    ref_cls, ref_reg = tv_pred(tv_head(x))
    torch.testing.assert_close(cls_score, ref_cls[:, order], rtol=0, atol=1e-5)
    torch.testing.assert_close(bbox_pred, ref_reg[:, 4:], rtol=0, atol=1e-5)


def test_shared4conv1fc_and_branch_layouts():
    head = Shared4Conv1FCBBoxHead(in_channels=4, conv_out_channels=6, fc_out_channels=16,
                                  roi_feat_size=3, num_classes=2,
                                  norm_cfg=dict(type='GN', num_groups=2))
    assert len(head.shared_convs) == 4 and len(head.shared_fcs) == 1
    assert head.shared_fcs[0].in_features == 6 * 9
    cls_score, bbox_pred = head(torch.randn(3, 4, 3, 3))
    assert cls_score.shape == (3, 3) and bbox_pred.shape == (3, 8)
    # separate branches: cls convs + fc, reg with only a conv (flattened into fc_reg)
    head = ConvFCBBoxHead(num_cls_convs=1, num_cls_fcs=1, num_reg_convs=1, in_channels=4,
                          conv_out_channels=6, fc_out_channels=16, roi_feat_size=3,
                          num_classes=2)
    assert head.fc_cls.in_features == 16 and head.fc_reg.in_features == 6 * 9
    cls_score, bbox_pred = head(torch.randn(3, 4, 3, 3))
    assert cls_score.shape == (3, 3) and bbox_pred.shape == (3, 8)
    # with avg pool the fcs see C channels
    head = ConvFCBBoxHead(num_shared_fcs=1, with_avg_pool=True, in_channels=4,
                          fc_out_channels=16, roi_feat_size=3, num_classes=2)
    assert head.shared_fcs[0].in_features == 4


def test_init_weights():
    torch.manual_seed(0)
    head = Shared2FCBBoxHead(in_channels=16, fc_out_channels=256, roi_feat_size=7,
                             num_classes=80)
    head.init_weights()
    assert head.fc_cls.weight.std().item() == pytest.approx(0.01, rel=0.05)
    assert head.fc_reg.weight.std().item() == pytest.approx(0.001, rel=0.05)
    # xavier uniform: bound sqrt(6 / (fan_in + fan_out)), zero bias
    bound = (6 / (16 * 49 + 256)) ** 0.5
    w = head.shared_fcs[0].weight
    assert w.abs().max().item() <= bound and w.abs().max().item() > 0.9 * bound
    assert head.shared_fcs[0].bias.abs().sum() == 0


def test_config_errors():
    with pytest.raises(ValueError, match='at least one conv or fc'):
        ConvFCBBoxHead()
    with pytest.raises(ValueError, match='cannot follow shared fcs'):
        ConvFCBBoxHead(num_shared_fcs=1, num_cls_convs=1)
    with pytest.raises(ValueError, match='with_cls=False but the cls branch'):
        ConvFCBBoxHead(with_cls=False, num_cls_fcs=1)
