"""Checks shared by the single-stage detector tests (ATSS, GFL, VFNet, TOOD; the batch
also FCOS, SSD, YOLOv3, YOLOX).

``batch_of_two`` is a padded batch of two images of different sizes, the second
without boxes; ``check_training`` and ``check_testing`` are the train-step and
test-time assertions every dense detector must pass on it.
"""
from typing import Optional

import numpy as np
import torch


def batch_of_two(small_box=(4., 6., 30., 40.)):
    """Two images of different sizes padded into one tensor; the second has no boxes.

    ``small_box`` is the first image's smallest box (x1, y1, x2, y2): SSD and the YOLOs
    take a larger one (4, 6, 40, 50), which their coarser priors can match.
    """
    g = torch.Generator().manual_seed(0)
    img = torch.randn(2, 3, 96, 128, generator=g)
    img[1, :, 80:, :] = 0
    img[1, :, :, 100:] = 0
    metas = [dict(img_shape=(96, 128, 3), ori_shape=(48, 64, 3), pad_shape=(96, 128, 3),
                  scale_factor=np.array([2., 2., 2., 2.], dtype=np.float32), flip=False,
                  flip_direction=None),
             dict(img_shape=(80, 100, 3), ori_shape=(80, 100, 3), pad_shape=(96, 128, 3),
                  scale_factor=np.array([1., 1., 1., 1.], dtype=np.float32), flip=False,
                  flip_direction=None)]
    # a box per level: small (P3), medium (P4), large (P5)
    gt_bboxes = [torch.tensor([list(small_box), [40., 10., 100., 60.], [2., 2., 126., 94.]]),
                 torch.zeros(0, 4)]
    gt_labels = [torch.tensor([0, 2, 1]), torch.zeros(0, dtype=torch.long)]
    return img, metas, gt_bboxes, gt_labels


def check_training(model, loss_counts: dict) -> None:
    """Finite, positive losses named as in MMDetection, ``loss_counts[name]`` entries each
    (per-level lists or one scalar), and a gradient for every trainable parameter only.

    The model's head should be initialised alone: the backbone's zero_init_residual would
    zero the gradients of the residual branches at step 0 (they learn through the BN
    weights first).
    """
    model.train()
    img, metas, gt_bboxes, gt_labels = batch_of_two()
    losses = model.forward_train(img, metas, gt_bboxes, gt_labels)
    assert set(losses) == set(loss_counts)
    for name, value in losses.items():
        values = value if isinstance(value, list) else [value]
        assert len(values) == loss_counts[name], name
        assert all(torch.isfinite(v) for v in values), name
        assert sum(values) > 0, name
    loss, log_vars = model._parse_losses(losses)
    assert set(log_vars) == set(losses) | {'loss'}
    loss.backward()
    for name, p in model.named_parameters():
        if p.requires_grad:
            assert p.grad is not None and p.grad.abs().sum() > 0, name
        else:
            assert p.grad is None, name  # the frozen stem and first stage


def check_testing(model, num_classes: int = 3, clipped: bool = True,
                  max_dets: Optional[int] = 30) -> None:
    """``simple_test(rescale=True)``: per image one (n, 5) float32 array per class, boxes
    inside the original image when the head clips them; flip ``aug_test`` maps a flipped
    view back to the mirrored boxes of the direct result."""
    model.eval()
    img, metas, _, _ = batch_of_two()
    with torch.no_grad():
        results = model.simple_test(img, metas, rescale=True)
    assert len(results) == 2
    for res, meta in zip(results, metas):
        assert len(res) == num_classes
        assert all(r.dtype == np.float32 and r.ndim == 2 and r.shape[1] == 5 for r in res)
        dets = np.concatenate(res)
        assert 0 < len(dets) <= max_dets
        assert np.isfinite(dets).all()
        if clipped:
            h, w = meta['ori_shape'][:2]
            assert (dets[:, [0, 2]] <= w + 1e-3).all() and (dets[:, [1, 3]] <= h + 1e-3).all()

    one = img[:1]
    flip_metas = [dict(metas[0], flip=True, flip_direction='horizontal')]
    with torch.no_grad():
        aug = model.aug_test([one, one.flip(-1)], [metas[:1], flip_metas], rescale=True)
        flipped_only = model.aug_test([one.flip(-1)], [flip_metas], rescale=True)
        direct = model.simple_test(one.flip(-1), metas[:1], rescale=False)
    assert len(aug) == 1 and len(aug[0]) == num_classes
    assert all(r.dtype == np.float32 and r.shape[1] == 5 for r in aug[0])
    assert sum(len(r) for r in aug[0]) > 0
    # the flipped view is mapped back: mirror in the 128 px test image, then / scale 2
    for got, d in zip(flipped_only[0], direct[0]):
        exp = np.stack([128 - d[:, 2], d[:, 1], 128 - d[:, 0], d[:, 3]], 1) / 2
        np.testing.assert_allclose(got[:, :4], exp, rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(got[:, 4], d[:, 4], rtol=1e-6)
