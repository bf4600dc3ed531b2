"""dense_test functions and input checks: hand-computed merges of augmented boxes and
proposals, and the messages of bad metas / boxes."""
import numpy as np
import pytest
import torch

from detkit.models.dense_heads import merge_aug_bboxes, merge_aug_proposals
from detkit.models.dense_heads.input_checks import check_gt_bboxes, check_img_metas


def aug_meta(flip, scale=2.0):
    return dict(img_shape=(20, 40, 3), scale_factor=np.full(4, scale, np.float32), flip=flip,
                flip_direction='horizontal')


def test_merge_aug_bboxes_maps_back_and_concatenates():
    b0 = torch.tensor([[4., 2., 10., 8.]])
    b1 = torch.tensor([[30., 2., 36., 8.], [0., 0., 40., 20.]])
    s0, s1 = torch.tensor([0.9]), torch.tensor([0.8, 0.1])
    boxes, scores = merge_aug_bboxes([b0, b1], [s0, s1], [[aug_meta(False)], [aug_meta(True)]])
    # augmentation 1 is flipped in a 40 px wide image: x -> 40 - x, then both / 2
    assert boxes.tolist() == [[2, 1, 5, 4], [2, 1, 5, 4], [0, 0, 20, 10]]
    assert scores.tolist() == pytest.approx([0.9, 0.8, 0.1])
    assert merge_aug_bboxes([b0], None, [[aug_meta(False)]]).tolist() == [[2, 1, 5, 4]]
    with pytest.raises(KeyError, match=r"augmentation 0\): img_metas\[0\] has no 'flip'"):
        merge_aug_bboxes([b0], None, [[dict(img_shape=(20, 40), scale_factor=1.0)]])


def test_merge_aug_proposals_nms_and_order():
    p0 = torch.tensor([[4., 2., 10., 8., 0.5], [20., 10., 30., 18., 0.7]])
    p1 = torch.tensor([[30., 2., 36., 8., 0.9]])  # the flip of p0[0]: suppresses it
    cfg = dict(nms=dict(type='nms', iou_threshold=0.7), max_per_img=5)
    merged = merge_aug_proposals([p0, p1], [aug_meta(False), aug_meta(True)], cfg)
    torch.testing.assert_close(merged, torch.tensor([[2, 1, 5, 4, 0.9], [10, 5, 15, 9, 0.7]]))
    merged = merge_aug_proposals([p0, p1], [aug_meta(False), aug_meta(True)],
                                 dict(cfg, max_per_img=1))
    assert merged.shape == (1, 5)
    assert p0[0, 0] == 4  # inputs are not modified
    with pytest.raises(KeyError, match="needs 'nms' and 'max_per_img'"):
        merge_aug_proposals([p0], [aug_meta(False)], dict(max_per_img=1))


def test_input_check_messages():
    with pytest.raises(TypeError, match='Head.f: img_metas must be a list'):
        check_img_metas(dict(img_shape=(1, 1)), ('img_shape', ), 'Head.f')
    with pytest.raises(KeyError, match=r"img_metas\[1\] has no 'scale_factor' \(keys present: "
                                       r"img_shape\)"):
        check_img_metas([dict(img_shape=1, scale_factor=1), dict(img_shape=1)],
                        ('img_shape', 'scale_factor'), 'Head.f')
    with pytest.raises(TypeError, match=r'img_metas\[0\] must be a dict'):
        check_img_metas([(1, 2)], (), 'Head.f')
    with pytest.raises(ValueError, match=r'gt_bboxes\[0\] must have shape \(n, 4\).*\(2, 4, 1\)'):
        check_gt_bboxes([torch.zeros(2, 4, 1)], 1, 'Head.f')
    with pytest.raises(TypeError, match=r'gt_bboxes\[0\] must be a Tensor.*ndarray'):
        check_gt_bboxes([np.zeros((1, 4))], 1, 'Head.f')
    check_gt_bboxes([torch.zeros(0, 4), torch.ones(3, 4)], 2, 'Head.f')  # empty images are fine
