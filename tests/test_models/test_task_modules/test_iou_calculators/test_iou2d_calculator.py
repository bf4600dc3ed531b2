import pytest
import torch
from torchvision.ops import box_iou, generalized_box_iou

from detkit.models.task_modules import build_iou_calculator
from detkit.models.task_modules.iou_calculators import bbox_overlaps

A = torch.tensor([[0., 0., 10., 10.], [10., 10., 20., 20.], [32., 32., 38., 42.]])
B = torch.tensor([[0., 0., 10., 20.], [0., 10., 10., 19.], [10., 10., 20., 20.]])


def test_hand_values_and_torchvision():
    calc = build_iou_calculator(dict(type='BboxOverlaps2D'))
    ious = calc(A, B)
    assert ious[0].tolist() == pytest.approx([0.5, 0.0, 0.0])
    assert ious[1].tolist() == pytest.approx([0.0, 0.0, 1.0])
    assert torch.allclose(ious, box_iou(A, B))
    assert torch.allclose(calc(A, B, mode='giou'), generalized_box_iou(A, B), atol=1e-6)
    # IoF: intersection over the area of the first set
    assert calc(A, B, mode='iof')[0, 0].item() == pytest.approx(1.0)
    assert calc(A, B, is_aligned=True).tolist() == pytest.approx([0.5, 0.0, 0.0])
    # a score column is ignored
    scores = torch.ones(3, 1)
    assert torch.equal(calc(torch.cat([A, scores], 1), torch.cat([B, scores], 1)), ious)


def test_fp16_and_batch_and_torch_path_agree():
    calc = build_iou_calculator(dict(type='BboxOverlaps2D', scale=16., dtype='fp16'))
    out = calc(A, B)
    assert out.dtype == torch.float32
    assert torch.allclose(out, box_iou(A, B), atol=1e-3)
    batched = bbox_overlaps(torch.stack([A, B]), torch.stack([B, A]))
    assert torch.allclose(batched[1], box_iou(B, A))
    for mode in ('iou', 'iof', 'giou'):
        calc = build_iou_calculator(dict(type='BboxOverlaps2D'))
        assert torch.allclose(calc(A, B, mode=mode), bbox_overlaps(A, B, mode=mode))


def test_empty_and_errors():
    calc = build_iou_calculator(dict(type='BboxOverlaps2D'))
    assert calc(torch.zeros(0, 4), B).shape == (0, 3)
    assert bbox_overlaps(torch.zeros(0, 4), torch.zeros(0, 4), is_aligned=True).shape == (0,)
    with pytest.raises(ValueError, match="mode must be one of"):
        bbox_overlaps(A, B, mode='dice')
    with pytest.raises(ValueError, match=r'\(\.\.\., 4\) or \(\.\.\., 5\)'):
        calc(torch.zeros(2, 3), B)
    with pytest.raises(ValueError, match="dtype must be None or 'fp16'"):
        build_iou_calculator(dict(type='BboxOverlaps2D', dtype='fp32'))
