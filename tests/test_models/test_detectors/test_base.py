"""BaseDetector: loss parsing, train/val steps, train/test dispatch and its errors,
the with_* properties, show_result."""
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn as nn

from detkit.models.detectors import BaseDetector


class ToyDetector(BaseDetector):
    """Records which test path ran; its 'losses' are fixed tensors."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(2.0))
        self.calls = []

    def extract_feat(self, imgs):
        return imgs * self.w

    def forward_train(self, img, img_metas, **kwargs):
        super().forward_train(img, img_metas)
        return dict(loss_a=torch.stack([self.w, 3 * self.w]),  # mean 2w
                    loss_b=[self.w, self.w * 0 + 1.0],  # w + 1
                    acc=torch.tensor(50.0))

    def simple_test(self, img, img_metas, **kwargs):
        self.calls.append(('simple', img.shape[0], kwargs))
        return ['simple']

    def aug_test(self, imgs, img_metas, **kwargs):
        self.calls.append(('aug', len(imgs), kwargs))
        return ['aug']


def metas(n):
    return [dict(img_shape=(4, 4, 3)) for _ in range(n)]


def test_parse_losses_sums_entries_named_loss():
    det = ToyDetector()
    loss, log_vars = det._parse_losses(det(torch.zeros(2, 3, 4, 4), metas(2)))
    # loss_a: mean(2, 6) = 4; loss_b: 2 + 1 = 3; acc is logged, not summed
    assert loss.item() == pytest.approx(7.0)
    assert isinstance(log_vars, OrderedDict)
    assert list(log_vars) == ['loss_a', 'loss_b', 'acc', 'loss']
    assert log_vars == {'loss_a': 4.0, 'loss_b': 3.0, 'acc': 50.0, 'loss': 7.0}
    loss.backward()
    assert det.w.grad.item() == pytest.approx(3.0)  # d(2w + w + 1)/dw
    with pytest.raises(TypeError, match="'loss_x' must be a tensor or a list of tensors"):
        det._parse_losses(dict(loss_x=1.0))
    with pytest.raises(ValueError, match='no entry of the losses has "loss"'):
        det._parse_losses(dict(acc=torch.tensor(1.0)))


def test_train_and_val_steps():
    det = ToyDetector()
    data = dict(img=torch.zeros(3, 3, 4, 6), img_metas=metas(3))
    out = det.train_step(data, None)
    assert set(out) == {'loss', 'log_vars', 'num_samples'} and out['num_samples'] == 3
    assert out['loss'].requires_grad and out['log_vars']['loss'] == pytest.approx(7.0)
    assert data['img_metas'][0]['batch_input_shape'] == (4, 6)
    val = det.val_step(data)
    assert list(val['log_vars']) == ['loss_a_val', 'loss_b_val', 'acc_val', 'loss_val']


def test_forward_test_dispatch_and_errors():
    det = ToyDetector()
    img = torch.zeros(2, 3, 8, 8)
    assert det([img], [metas(2)], return_loss=False, rescale=True) == ['simple']
    assert det.calls[-1] == ('simple', 2, {'rescale': True})
    assert metas(2)[0].get('batch_input_shape') is None
    one = torch.zeros(1, 3, 8, 8)
    assert det([one, one], [metas(1), metas(1)], return_loss=False) == ['aug']
    # proposals are nested per augmentation: the single-augmentation path unwraps them
    det([one], [metas(1)], return_loss=False, proposals=[['p']])
    assert det.calls[-1][2] == {'proposals': ['p']}
    with pytest.raises(TypeError, match='imgs must be a list'):
        det(img, metas(2), return_loss=False)
    with pytest.raises(TypeError, match='img_metas must be a list'):
        det([img], metas(2)[0], return_loss=False)
    with pytest.raises(ValueError, match=r'augmentations \(2\) != the number of image meta'):
        det([one, one], [metas(1)], return_loss=False)
    with pytest.raises(ValueError, match=r'img_metas\[0\] must be a list of 2 dicts'):
        det([img], [metas(1)], return_loss=False)
    with pytest.raises(ValueError, match='one image at a time, but got a batch of 2'):
        det([img, img], [metas(2), metas(2)], return_loss=False)


def test_with_properties():
    det = ToyDetector()
    assert not det.with_neck and not det.with_bbox and not det.with_mask
    assert not det.with_shared_head
    det.neck = nn.Identity()
    det.bbox_head = nn.Identity()
    assert det.with_neck and det.with_bbox and not det.with_mask
    roi_head = nn.Module()
    roi_head.with_shared_head, roi_head.with_bbox, roi_head.with_mask = True, False, True
    det.roi_head = roi_head
    assert det.with_shared_head and det.with_mask


def test_show_result_draws_boxes(tmp_path):
    det = ToyDetector()
    det.CLASSES = ('a', 'b')
    img = np.zeros((40, 50, 3), np.uint8)
    result = [np.array([[5, 5, 30, 30, 0.9], [1, 1, 3, 3, 0.1]], np.float32),
              np.zeros((0, 5), np.float32)]
    drawn = det.show_result(img, result, score_thr=0.3)
    assert drawn.shape == img.shape and img.sum() == 0  # the input is not drawn on
    assert drawn[5, 5:31].any() and not drawn[2, 2].any()  # the low-score box is skipped
    out = tmp_path / 'vis.jpg'
    assert det.show_result(img, result, out_file=str(out)) is None
    assert out.stat().st_size > 0


def test_parse_losses_under_torch_distributed(tmp_path):
    import torch.distributed as dist
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/store', rank=0,
                            world_size=1)
    try:
        det = ToyDetector()
        loss, log_vars = det._parse_losses(dict(loss_a=torch.tensor([1.0, 2.0]),
                                                top1=torch.tensor(4.0)))
        # one rank: the all-reduced average is the value itself
        assert log_vars == {'loss_a': 1.5, 'top1': 4.0, 'loss': 1.5}
        assert loss.item() == 1.5
    finally:
        dist.destroy_process_group()
