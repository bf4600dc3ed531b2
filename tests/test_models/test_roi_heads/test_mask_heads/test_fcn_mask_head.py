"""FCNMaskHead: layout vs torchvision's Mask R-CNN heads, upsample options, targets,
loss by hand, mask pasting against a float64 bilinear reference."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor

from detkit.models.roi_heads import FCNMaskHead
from detkit.structures import BitmapMasks


def test_keys_and_torchvision_equivalence():
    torch.manual_seed(0)
    num_classes, ch = 3, 8
    head = FCNMaskHead(num_convs=4, roi_feat_size=14, in_channels=ch, conv_out_channels=ch,
                       num_classes=num_classes)
    assert list(head.state_dict()) == [f'convs.{i}.conv.{p}' for i in range(4)
                                       for p in ('weight', 'bias')] + [
        'upsample.weight', 'upsample.bias', 'conv_logits.weight', 'conv_logits.bias']
    tv_heads = MaskRCNNHeads(ch, (ch, ) * 4, 1)
    tv_pred = MaskRCNNPredictor(ch, ch, num_classes + 1)
    tv_convs = [m for m in tv_heads.modules() if isinstance(m, nn.Conv2d)]
    for ours, theirs in zip(head.convs, tv_convs):
        ours.conv.load_state_dict(theirs.state_dict())
    head.upsample.load_state_dict(tv_pred.conv5_mask.state_dict())
    # torchvision's class 0 is the background
    head.conv_logits.weight.data.copy_(tv_pred.mask_fcn_logits.weight[1:])
    head.conv_logits.bias.data.copy_(tv_pred.mask_fcn_logits.bias[1:])
    x = torch.randn(3, ch, 14, 14)
    out = head(x)
    assert out.shape == (3, num_classes, 28, 28)
    torch.testing.assert_close(out, tv_pred(tv_heads(x))[:, 1:], rtol=0, atol=1e-5)


def test_upsample_options_and_errors():
    x = torch.randn(2, 4, 7, 7)
    for method in ('nearest', 'bilinear'):
        head = FCNMaskHead(num_convs=1, in_channels=4, conv_out_channels=4, num_classes=2,
                           upsample_cfg=dict(type=method, scale_factor=2))
        assert isinstance(head.upsample, nn.Upsample) and head.upsample.mode == method
        assert head(x).shape == (2, 2, 14, 14)
    head = FCNMaskHead(num_convs=0, in_channels=4, num_classes=2, class_agnostic=True,
                       upsample_cfg=dict(type=None))
    assert head.upsample is None and head(x).shape == (2, 1, 7, 7)
    with pytest.raises(ValueError, match="'carafe' is not supported"):
        FCNMaskHead(upsample_cfg=dict(type='carafe', scale_factor=2))
    with pytest.raises(ValueError, match="invalid upsample_cfg type 'deconvv'.*'deconv'"):
        FCNMaskHead(upsample_cfg=dict(type='deconvv', scale_factor=2))
    with pytest.raises(ValueError, match='init_cfg must be None'):
        FCNMaskHead(init_cfg=dict(type='Normal'))


def test_init_weights_kaiming_fan_out():
    torch.manual_seed(0)
    head = FCNMaskHead(num_convs=1, in_channels=16, conv_out_channels=64, num_classes=80)
    head.init_weights()
    # kaiming normal, fan_out = out_channels * k * k, gain sqrt(2)
    std = (2 / (80 * 1 * 1)) ** 0.5
    assert head.conv_logits.weight.std().item() == pytest.approx(std, rel=0.05)
    assert head.conv_logits.bias.abs().sum() == 0


def test_targets_and_loss_by_hand():
    head = FCNMaskHead(num_convs=0, in_channels=2, num_classes=3,
                       upsample_cfg=dict(type=None))
    gt = np.zeros((2, 8, 8), dtype=np.uint8)
    gt[0, :, :4] = 1      # left half
    gt[1] = 1
    res = SimpleNamespace(pos_bboxes=torch.tensor([[0., 0., 8., 8.], [2., 2., 6., 6.]]),
                          pos_assigned_gt_inds=torch.tensor([0, 1]))
    targets = head.get_targets([res], [BitmapMasks(gt, 8, 8)], dict(mask_size=4))
    assert targets.shape == (2, 4, 4)
    assert targets[0].tolist() == [[1, 1, 0, 0]] * 4
    assert targets[1].tolist() == [[1] * 4] * 4
    pred = torch.randn(2, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([2, 0])
    loss = head.loss(pred, targets.double(), labels)['loss_mask']
    ref = F.binary_cross_entropy_with_logits(pred[[0, 1], [2, 0]], targets.double())
    torch.testing.assert_close(loss.reshape(()), ref)
    empty = head.loss(pred[:0], targets[:0].double(), labels[:0])['loss_mask']
    assert empty.item() == 0 and empty.requires_grad


def paste_reference(prob, box, img_h, img_w):
    """float64 bilinear paste: image pixel centre (x + .5, y + .5) reads the box's mask at
    u = (x + .5 - x1) / (x2 - x1) * w - .5 (zero outside the mask)."""
    h, w = prob.shape
    out = np.zeros((img_h, img_w))
    x1, y1, x2, y2 = box
    for y in range(img_h):
        for x in range(img_w):
            u = (x + .5 - x1) / (x2 - x1) * w - .5
            v = (y + .5 - y1) / (y2 - y1) * h - .5
            u0, v0 = int(np.floor(u)), int(np.floor(v))
            val = 0.
            for dv in (0, 1):
                for du in (0, 1):
                    uu, vv = u0 + du, v0 + dv
                    if 0 <= uu < w and 0 <= vv < h:
                        val += (1 - abs(u - uu)) * (1 - abs(v - vv)) * prob[vv, uu]
            out[y, x] = val
    return out


def test_get_seg_masks_against_reference():
    torch.manual_seed(0)
    head = FCNMaskHead(num_convs=0, in_channels=2, num_classes=3,
                       upsample_cfg=dict(type=None))
    logits = torch.randn(3, 3, 4, 4) * 3
    # mask cells of at most 2 px: the pasted region (boxes +- 1 px) holds every nonzero value
    boxes = torch.tensor([[2.3, 1.7, 9.1, 8.0, .9], [10., 4., 17.5, 11.2, .8],
                          [0., 0., 6., 5., .7]])
    labels = torch.tensor([1, 2, 1])
    segms = head.get_seg_masks(logits, boxes, labels, dict(mask_thr_binary=-1), (12, 20),
                               np.ones(4, np.float32), rescale=True)
    assert [len(s) for s in segms] == [0, 2, 1]
    probs = logits.sigmoid().double().numpy()
    refs = [paste_reference(probs[i, labels[i]], boxes[i, :4].double().numpy(), 12, 20)
            for i in range(3)]
    # uint8 probabilities * 255 (truncated)
    got = [segms[1][0], segms[2][0], segms[1][1]]
    for g, r in zip(got, [refs[0], refs[1], refs[2]]):
        assert g.dtype == np.uint8 and g.shape == (12, 20)
        assert np.abs(g.astype(np.float64) - r * 255).max() <= 1.0
    binary = head.get_seg_masks(logits, boxes, labels, dict(mask_thr_binary=0.5), (12, 20),
                                np.ones(4, np.float32), rescale=True)
    assert binary[1][0].dtype == np.bool_
    near = np.abs(refs[0] - 0.5) < 1e-5
    assert ((binary[1][0] == (refs[0] >= 0.5)) | near).all()


def test_get_seg_masks_rescale():
    head = FCNMaskHead(num_convs=0, in_channels=2, num_classes=1,
                       upsample_cfg=dict(type=None))
    logits = torch.full((1, 1, 4, 4), 10.)  # all foreground
    boxes = torch.tensor([[4., 4., 12., 8., 1.]])  # in a test image scaled by 2
    sf = np.array([2., 2., 2., 2.], np.float32)
    out = head.get_seg_masks(logits, boxes, torch.tensor([0]), dict(mask_thr_binary=0.5),
                             (10, 10), sf, rescale=True)[0][0]
    # the box in the original image is [2, 2, 6, 4]
    expected = np.zeros((10, 10), bool)
    expected[2:4, 2:6] = True
    assert (out == expected).all()
    # rescale=False: masks of the test image, round(10 * 2) pixels a side
    out = head.get_seg_masks(logits, boxes, torch.tensor([0]), dict(mask_thr_binary=0.5),
                             (10, 10), sf, rescale=False)[0][0]
    assert out.shape == (20, 20) and out[4:8, 4:12].all() and out.sum() == 32
    assert head.get_seg_masks(logits[:0], boxes[:0], torch.tensor([], dtype=torch.long),
                              dict(mask_thr_binary=0.5), (10, 10), sf, True) == [[]]
