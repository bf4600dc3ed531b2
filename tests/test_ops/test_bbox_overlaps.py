import pytest
import torch
import torchvision

from detkit.ops import bbox_overlaps

from ._helpers import random_boxes


def degenerate_boxes():
    """Zero-area, touching, identical, nested and disjoint boxes."""
    return torch.tensor(
        [
            [0.0, 0.0, 10.0, 10.0],
            [10.0, 0.0, 20.0, 10.0],  # touches box 0 along x = 10
            [0.0, 0.0, 10.0, 10.0],  # identical to box 0
            [5.0, 5.0, 5.0, 5.0],  # a point
            [2.0, 3.0, 8.0, 3.0],  # zero height
            [2.0, 2.0, 4.0, 4.0],  # inside box 0
            [50.0, 50.0, 60.0, 70.0],  # disjoint
        ]
    )


def brute_force(b1, b2, mode, aligned, eps=1e-6):
    """Float64 double loop following the mmdet definition literally."""
    b1, b2 = b1.double().tolist(), b2.double().tolist()
    pairs = [(a, a2) for a, a2 in zip(b1, b2)] if aligned else [(a, c) for a in b1 for c in b2]
    out = []
    for a, b in pairs:
        area1 = (a[2] - a[0]) * (a[3] - a[1])
        area2 = (b[2] - b[0]) * (b[3] - b[1])
        w = max(min(a[2], b[2]) - max(a[0], b[0]), 0.0)
        h = max(min(a[3], b[3]) - max(a[1], b[1]), 0.0)
        overlap = w * h
        union = max(area1 if mode == 'iof' else area1 + area2 - overlap, eps)
        v = overlap / union
        if mode == 'giou':
            ew = max(max(a[2], b[2]) - min(a[0], b[0]), 0.0)
            eh = max(max(a[3], b[3]) - min(a[1], b[1]), 0.0)
            enclose = max(ew * eh, eps)
            v -= (enclose - union) / enclose
        out.append(v)
    t = torch.tensor(out, dtype=torch.float64)
    return t if aligned else t.view(len(b1), len(b2))


@pytest.mark.parametrize('mode', ['iou', 'iof', 'giou'])
@pytest.mark.parametrize('aligned', [False, True])
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_random_against_brute_force(mode, aligned, dtype):
    g = torch.Generator().manual_seed(0)
    b1 = random_boxes(37, generator=g, dtype=dtype)
    b2 = random_boxes(37 if aligned else 53, generator=g, dtype=dtype)
    out = bbox_overlaps(b1, b2, mode=mode, is_aligned=aligned)
    assert out.dtype == dtype
    assert out.shape == ((37,) if aligned else (37, 53))
    tol = 1e-6 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(out.double(), brute_force(b1, b2, mode, aligned), rtol=tol, atol=tol)


@pytest.mark.parametrize('mode', ['iou', 'iof', 'giou'])
def test_degenerate_against_brute_force(mode):
    b = degenerate_boxes()
    out = bbox_overlaps(b, b, mode=mode)
    torch.testing.assert_close(out.double(), brute_force(b, b, mode, False), rtol=1e-6, atol=1e-6)
    # Hand-checked values: identical boxes, touching boxes, a point inside a box.
    assert out[0, 2] == 1.0
    if mode == 'iou':
        assert out[0, 1] == 0.0 and out[0, 3] == 0.0
        assert out[0, 5] == pytest.approx(4 / 100)
    if mode == 'iof':
        assert out[5, 0] == 1.0  # box 5 lies inside box 0
    if mode == 'giou':
        assert out[0, 1] == 0.0  # touching: the enclosing box is the union
        assert out[0, 6] == pytest.approx(0 - (70 * 60 - 100 - 200) / (70 * 60))
    aligned = bbox_overlaps(b, b.flip(0), mode=mode, is_aligned=True)
    torch.testing.assert_close(
        aligned.double(), brute_force(b, b.flip(0), mode, True), rtol=1e-6, atol=1e-6
    )


def test_matches_torchvision():
    g = torch.Generator().manual_seed(1)
    b1, b2 = random_boxes(200, generator=g), random_boxes(300, generator=g)
    torch.testing.assert_close(bbox_overlaps(b1, b2), torchvision.ops.box_iou(b1, b2))
    torch.testing.assert_close(
        bbox_overlaps(b1, b2, mode='giou'), torchvision.ops.generalized_box_iou(b1, b2)
    )


@pytest.mark.parametrize('aligned', [False, True])
def test_empty(aligned):
    empty, some = torch.zeros(0, 4), random_boxes(3)
    assert bbox_overlaps(empty, empty, is_aligned=aligned).shape == (0,) if aligned else (0, 0)
    if not aligned:
        assert bbox_overlaps(empty, some).shape == (0, 3)
        assert bbox_overlaps(some, empty, mode='giou').shape == (3, 0)
        assert bbox_overlaps(torch.zeros(2, 0, 4), torch.zeros(2, 5, 4)).shape == (2, 0, 5)


@pytest.mark.parametrize('mode', ['iou', 'iof', 'giou'])
@pytest.mark.parametrize('aligned', [False, True])
def test_batched(mode, aligned):
    g = torch.Generator().manual_seed(2)
    b1 = random_boxes(2 * 3 * 6, generator=g).view(2, 3, 6, 4)
    b2 = random_boxes(2 * 3 * (6 if aligned else 4), generator=g).view(2, 3, -1, 4)
    out = bbox_overlaps(b1, b2, mode=mode, is_aligned=aligned)
    assert out.shape == ((2, 3, 6) if aligned else (2, 3, 6, 4))
    for i in range(2):
        for j in range(3):
            torch.testing.assert_close(out[i, j], bbox_overlaps(b1[i, j], b2[i, j], mode, aligned))


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
@pytest.mark.parametrize('mode', ['iou', 'giou'])
def test_half_inputs_computed_in_fp32(dtype, mode):
    g = torch.Generator().manual_seed(3)
    # Coordinates up to 1000 px: their products overflow fp16 (max 65504).
    b1 = random_boxes(20, scale=1000.0, generator=g).to(dtype)
    b2 = random_boxes(30, scale=1000.0, generator=g).to(dtype)
    out = bbox_overlaps(b1, b2, mode=mode)
    assert out.dtype == dtype
    expected = bbox_overlaps(b1.float(), b2.float(), mode=mode).to(dtype)
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    assert torch.isfinite(out).all()


def test_gradient_through_torch_path():
    g = torch.Generator().manual_seed(4)
    b1 = random_boxes(5, generator=g, dtype=torch.float64).requires_grad_()
    b2 = random_boxes(5, generator=g, dtype=torch.float64)
    out = bbox_overlaps(b1, b2, mode='giou', is_aligned=True)
    torch.testing.assert_close(out.detach(), bbox_overlaps(b1.detach(), b2, 'giou', True))
    assert torch.autograd.gradcheck(
        lambda x: bbox_overlaps(x, b2, mode='giou', is_aligned=True), (b1,)
    )


def test_autocast_runs_in_fp32():
    b = random_boxes(10, scale=1000.0).bfloat16()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = torch.ops.detkit.bbox_overlaps(b, b, 'iou', False, 1e-6)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, bbox_overlaps(b.float(), b.float()))


def test_torch_compile_fullgraph():
    b1, b2 = random_boxes(8), random_boxes(9)

    def fn(x, y):
        return bbox_overlaps(x, y, mode='giou').max(dim=1).values

    compiled = torch.compile(fn, backend='aot_eager', fullgraph=True)
    torch.testing.assert_close(compiled(b1, b2), fn(b1, b2))


@pytest.mark.parametrize(
    'args, match',
    [
        (
            (torch.zeros(3, 5), torch.zeros(2, 4)),
            r'bboxes1 must have shape \(\.\.\., n, 4\).*\(3, 5\)',
        ),
        ((torch.zeros(3, 4), torch.zeros(2, 4), 'dice'), r"mode must be one of .*'dice'"),
        (
            (torch.zeros(3, 4), torch.zeros(2, 4), 'iou', True),
            r'is_aligned=True .*\(3, 4\) and \(2, 4\)',
        ),
    ],
)
def test_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        bbox_overlaps(*args)


def test_compiled_op_checks_shapes():
    with pytest.raises(RuntimeError, match=r'bboxes2 must have shape \(n, 4\), got \[2, 3\]'):
        torch.ops.detkit.bbox_overlaps(torch.zeros(3, 4), torch.zeros(2, 3), 'iou', False, 1e-6)
