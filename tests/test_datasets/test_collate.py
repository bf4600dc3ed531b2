"""collate: padded image batches, per-image lists, test-time augmentation."""
import numpy as np
import pytest
import torch

from detkit.datasets import collate


def _sample(h, w, n):
    return dict(img=torch.ones(3, h, w), img_metas=dict(h=h), gt_bboxes=torch.zeros(n, 4),
                gt_labels=torch.arange(n), gt_semantic_seg=torch.zeros(1, h, w))


def test_collate_pads_bottom_right():
    out = collate([_sample(4, 6, 2), _sample(5, 3, 0)])
    assert out['img'].shape == (2, 3, 5, 6)
    assert out['img'][0, :, :4, :].eq(1).all() and out['img'][0, :, 4, :].eq(0).all()
    assert out['img'][1, :, :, :3].eq(1).all() and out['img'][1, :, :, 3:].eq(0).all()
    assert out['gt_semantic_seg'].shape == (2, 1, 5, 6)
    assert out['gt_semantic_seg'][0, 0, 4, 0] == 255 and out['gt_semantic_seg'][0, 0, 0, 0] == 0
    assert out['img_metas'] == [dict(h=4), dict(h=5)]
    assert [b.shape[0] for b in out['gt_bboxes']] == [2, 0]
    out = collate([_sample(4, 6, 1)], pad_size_divisor=32)
    assert out['img'].shape == (1, 3, 32, 32)


def test_collate_test_time_augmentation():
    def tta(h):
        return dict(img=[torch.ones(3, h, 8), torch.ones(3, 8, h)],
                    img_metas=[dict(a=0, h=h), dict(a=1, h=h)])

    out = collate([tta(4), tta(6)])
    assert [t.shape for t in out['img']] == [(2, 3, 6, 8), (2, 3, 8, 6)]
    assert out['img_metas'][1] == [dict(a=1, h=4), dict(a=1, h=6)]


def test_collate_errors():
    with pytest.raises(ValueError, match=r'shapes \(3, 4, 4\) and \(1, 4, 4\) \(sample 1\)'):
        collate([dict(img=torch.ones(3, 4, 4)), dict(img=torch.ones(1, 4, 4))])
    with pytest.raises(KeyError, match="sample 1 has keys \\['img'\\], sample 0 has"):
        collate([dict(img=torch.ones(3, 4, 4), x=1), dict(img=torch.ones(3, 4, 4))])
    assert collate([np.zeros(2), np.ones(2)]).shape == (2, 2)  # plain samples: default_collate
