import math

import numpy as np
import pytest
import torch
import torchvision

from detkit.ops import batched_nms, nms, soft_nms

from ._helpers import clustered_boxes, random_boxes


def iou64(a, b, offset=0):
    w = max(min(a[2], b[2]) - max(a[0], b[0]) + offset, 0.0)
    h = max(min(a[3], b[3]) - max(a[1], b[1]) + offset, 0.0)
    inter = w * h
    union = (
        (a[2] - a[0] + offset) * (a[3] - a[1] + offset)
        + (b[2] - b[0] + offset) * (b[3] - b[1] + offset)
        - inter
    )
    return inter / union if union > 0 else math.nan


def nms_reference(boxes, scores, thr, offset=0):
    """Float64 greedy NMS; equal scores visited in input order."""
    b, s = boxes.double().tolist(), scores.double().tolist()
    keep = []
    for i in sorted(range(len(b)), key=lambda i: (-s[i], i)):
        if not any(iou64(b[i], b[k], offset) > thr for k in keep):
            keep.append(i)
    return torch.tensor(keep, dtype=torch.long)


def soft_nms_reference(boxes, scores, thr, sigma, min_score, method, offset=0):
    """Float64 Soft-NMS as published (Bodla et al., 2017, Algorithm 1)."""
    b, s = boxes.double().tolist(), scores.double().tolist()
    live = list(range(len(b)))
    dets, inds = [], []
    while live:
        m = max(live, key=lambda i: (s[i], -i))  # highest score, first on ties
        live.remove(m)
        dets.append(b[m] + [s[m]])
        inds.append(m)
        for i in live:
            ov = iou64(b[m], b[i], offset)
            if method == 'linear':
                s[i] *= 1 - ov if ov >= thr else 1.0
            elif method == 'gaussian':
                s[i] *= math.exp(-(ov * ov) / sigma)
            else:
                s[i] *= 0.0 if ov >= thr else 1.0
        live = [i for i in live if s[i] >= min_score]
    return torch.tensor(dets, dtype=torch.float64).view(-1, 5), torch.tensor(inds, dtype=torch.long)


@pytest.mark.parametrize('n', [0, 1, 2, 50, 700])
@pytest.mark.parametrize('thr', [0.3, 0.7])
def test_nms_random(n, thr):
    g = torch.Generator().manual_seed(n)
    boxes, scores = random_boxes(n, generator=g), torch.rand(n, generator=g)
    dets, inds = nms(boxes, scores, thr)
    torch.testing.assert_close(inds, torchvision.ops.nms(boxes, scores, thr), rtol=0, atol=0)
    torch.testing.assert_close(inds, nms_reference(boxes, scores, thr), rtol=0, atol=0)
    torch.testing.assert_close(dets, torch.cat([boxes[inds], scores[inds, None]], 1))
    assert dets.shape == (len(inds), 5)
    assert (dets[1:, 4] <= dets[:-1, 4]).all()


def test_nms_clustered_large_matches_torchvision():
    # More than one block of 256 candidates with hundreds of kept boxes, so the
    # parallel comparison against earlier kept boxes is exercised.
    boxes, scores = clustered_boxes(6000, torch.Generator().manual_seed(0))
    _, inds = nms(boxes, scores, 0.5)
    torch.testing.assert_close(inds, torchvision.ops.nms(boxes, scores, 0.5), rtol=0, atol=0)
    assert 300 < len(inds) < 6000


def test_nms_edge_cases():
    box = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    # All boxes identical: the first of the equal top scores survives.
    dets, inds = nms(box.repeat(5, 1), torch.tensor([0.5, 0.9, 0.9, 0.1, 0.9]), 0.5)
    assert inds.tolist() == [1]
    # Equal scores: visited in input order (stable).
    boxes = torch.tensor([[0.0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60], [0, 0, 10, 10]])
    _, inds = nms(boxes, torch.ones(4), 0.5)
    assert inds.tolist() == [0, 2]
    # Zero-area boxes never suppress anything (IoU 0 or NaN).
    flat = torch.tensor([[5.0, 5, 5, 5], [5, 5, 5, 5], [0, 0, 10, 0]])
    _, inds = nms(flat, torch.tensor([0.3, 0.2, 0.1]), 0.5)
    assert inds.tolist() == [0, 1, 2]
    # Touching boxes do not overlap.
    _, inds = nms(torch.tensor([[0.0, 0, 10, 10], [10, 0, 20, 10]]), torch.tensor([1.0, 0.5]), 0.0)
    assert inds.tolist() == [0, 1]


def test_nms_offset_and_thresholds():
    boxes = torch.tensor([[0.0, 0, 9, 9], [0, 0, 9, 4], [20, 20, 29, 29], [21, 20, 29, 29]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.05])
    # offset=1: box 1 covers 50/100 of box 0 -> IoU 0.5 (not > 0.5), kept;
    # offset=0: 36/81 = 0.44.
    assert nms(boxes, scores, 0.49, offset=1)[1].tolist() == [0, 2]
    assert nms(boxes, scores, 0.5, offset=1)[1].tolist() == [0, 1, 2]
    torch.testing.assert_close(
        nms(boxes, scores, 0.49, offset=1)[1], nms_reference(boxes, scores, 0.49, 1)
    )
    dets, inds = nms(boxes, scores, 0.99, score_threshold=0.1)
    assert inds.tolist() == [0, 1, 2]
    dets, inds = nms(boxes, scores, 0.99, max_num=2)
    assert inds.tolist() == [0, 1] and dets.shape == (2, 5)


def test_nms_numpy_noncontiguous_and_half():
    g = torch.Generator().manual_seed(5)
    boxes, scores = random_boxes(300, generator=g), torch.rand(300, generator=g)
    expected = torchvision.ops.nms(boxes, scores, 0.5)
    wide = torch.zeros(300, 8)
    wide[:, ::2] = boxes  # non-contiguous view with stride 2
    assert not wide[:, ::2].is_contiguous()
    torch.testing.assert_close(nms(wide[:, ::2], scores, 0.5)[1], expected, rtol=0, atol=0)
    dets, inds = nms(boxes.numpy(), scores.numpy(), 0.5)
    assert isinstance(dets, np.ndarray) and np.array_equal(inds, expected.numpy())
    for dtype in (torch.float16, torch.bfloat16):
        b, s = boxes.to(dtype), scores.to(dtype)
        dets, inds = nms(b, s, 0.5)
        assert dets.dtype == dtype
        torch.testing.assert_close(inds, nms(b.float(), s.float(), 0.5)[1], rtol=0, atol=0)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            torch.testing.assert_close(
                torch.ops.detkit.nms(b, s, 0.5, 0),
                nms(b.float(), s.float(), 0.5)[1],
                rtol=0,
                atol=0,
            )


def test_nms_gradient_flows_to_dets():
    boxes = random_boxes(20, generator=torch.Generator().manual_seed(6)).requires_grad_()
    scores = torch.rand(20).requires_grad_()
    dets, inds = nms(boxes, scores, 0.5)
    dets.sum().backward()
    assert boxes.grad[inds].eq(1).all() and scores.grad[inds].eq(1).all()
    assert boxes.grad.sum() == 4 * len(inds)


def test_nms_torch_compile_fullgraph():
    g = torch.Generator().manual_seed(7)
    boxes, scores = random_boxes(200, generator=g), torch.rand(200, generator=g)

    def fn(b, s):
        dets, _ = nms(b, s, 0.5)
        return dets[:, :4].sum(0) * 2

    compiled = torch.compile(fn, backend='aot_eager', fullgraph=True)
    torch.testing.assert_close(compiled(boxes, scores), fn(boxes, scores))


@pytest.mark.parametrize('n', [0, 1, 300, 3000])
@pytest.mark.parametrize('split_thr', [10000, 100])
def test_batched_nms_matches_torchvision(n, split_thr):
    g = torch.Generator().manual_seed(n + 1)
    boxes, scores = clustered_boxes(n, g) if n else (torch.zeros(0, 4), torch.zeros(0))
    idxs = torch.randint(0, 7, (n,), generator=g)
    dets, keep = batched_nms(boxes, scores, idxs, dict(iou_threshold=0.5, split_thr=split_thr))
    if n < split_thr:
        # One call on shifted boxes, like torchvision below 4000 boxes on CPU.
        expected = torchvision.ops.batched_nms(boxes, scores, idxs, 0.5)
    else:
        # Per category on the unshifted boxes.
        expected = torch.cat(
            [
                (idxs == c)
                .nonzero()
                .view(-1)[torchvision.ops.nms(boxes[idxs == c], scores[idxs == c], 0.5)]
                for c in range(7)
            ]
        )
        expected = expected[scores[expected].argsort(descending=True, stable=True)]
    torch.testing.assert_close(keep, expected, rtol=0, atol=0)
    torch.testing.assert_close(dets, torch.cat([boxes[keep], scores[keep, None]], 1))


def test_batched_nms_options():
    g = torch.Generator().manual_seed(8)
    boxes, scores = clustered_boxes(400, g)
    idxs = torch.randint(0, 3, (400,), generator=g)
    # class_agnostic ignores idxs.
    _, keep = batched_nms(boxes, scores, idxs, dict(iou_threshold=0.5), class_agnostic=True)
    torch.testing.assert_close(keep, torchvision.ops.nms(boxes, scores, 0.5), rtol=0, atol=0)
    _, keep2 = batched_nms(boxes, scores, idxs, dict(iou_threshold=0.5, class_agnostic=True))
    assert torch.equal(keep, keep2)
    # max_num truncates on both branches.
    for split_thr in (10000, 10):
        dets, keep = batched_nms(
            boxes, scores, idxs, dict(iou_threshold=0.5, max_num=7, split_thr=split_thr)
        )
        assert keep.tolist() == torchvision.ops.batched_nms(boxes, scores, idxs, 0.5)[:7].tolist()
    # nms_cfg None: only sorted.
    dets, keep = batched_nms(boxes, scores, idxs, None)
    assert keep.tolist() == scores.argsort(descending=True, stable=True).tolist()


@pytest.mark.parametrize('split_thr', [10000, 10])
def test_batched_soft_nms(split_thr):
    g = torch.Generator().manual_seed(9)
    boxes, scores = clustered_boxes(120, g)
    idxs = torch.randint(0, 3, (120,), generator=g)
    cfg = dict(type='soft_nms', iou_threshold=0.3, min_score=0.05, split_thr=split_thr)
    dets, keep = batched_nms(boxes, scores, idxs, cfg)
    # Reference: Soft-NMS on each category separately, merged by decayed score.
    ref_s, ref_i = [], []
    for c in range(3):
        m = (idxs == c).nonzero().view(-1)
        d, i = soft_nms_reference(boxes[m], scores[m], 0.3, 0.5, 0.05, 'linear')
        ref_s.append(d[:, 4])
        ref_i.append(m[i])
    ref_s, ref_i = torch.cat(ref_s), torch.cat(ref_i)
    order = ref_s.argsort(descending=True, stable=True)
    assert keep.tolist() == ref_i[order].tolist()
    torch.testing.assert_close(dets[:, 4].double(), ref_s[order], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(dets[:, :4], boxes[keep])


@pytest.mark.parametrize('method', ['linear', 'gaussian', 'naive'])
@pytest.mark.parametrize('n', [0, 1, 60, 400])
def test_soft_nms_against_reference(method, n):
    g = torch.Generator().manual_seed(10 + n)
    boxes, scores = clustered_boxes(n, g) if n else (torch.zeros(0, 4), torch.zeros(0))
    dets, inds = soft_nms(
        boxes, scores, iou_threshold=0.3, sigma=0.5, min_score=1e-3, method=method
    )
    ref_dets, ref_inds = soft_nms_reference(boxes, scores, 0.3, 0.5, 1e-3, method)
    assert inds.tolist() == ref_inds.tolist()
    torch.testing.assert_close(dets.double(), ref_dets, rtol=1e-5, atol=1e-6)
    if method == 'naive':
        assert (
            inds.tolist() == nms_reference(boxes, scores, 0.3 - 1e-7)[: len(inds)].tolist()
            or n == 0
        )


def test_soft_nms_hand_computed():
    boxes = torch.tensor([[0.0, 0, 10, 10], [0, 0, 10, 5], [100, 100, 110, 110]])
    scores = torch.tensor([0.9, 0.8, 0.3])
    dets, inds = soft_nms(boxes, scores, iou_threshold=0.3, method='linear')
    # box 1 overlaps box 0 with IoU 0.5 -> 0.8 * (1 - 0.5) = 0.4, still above box 2.
    assert inds.tolist() == [0, 1, 2]
    torch.testing.assert_close(dets[:, 4], torch.tensor([0.9, 0.4, 0.3]))
    dets, inds = soft_nms(boxes, scores, method='gaussian', sigma=0.5)
    torch.testing.assert_close(dets[:, 4], torch.tensor([0.9, 0.8 * math.exp(-0.5), 0.3]))
    dets, inds = soft_nms(boxes, scores, method='linear', min_score=0.5)
    assert inds.tolist() == [0]


@pytest.mark.parametrize(
    'call, match',
    [
        (
            lambda: nms(torch.zeros(3, 5), torch.zeros(3), 0.5),
            r'nms: boxes must have shape \(n, 4\), got \(3, 5\)',
        ),
        (
            lambda: nms(torch.zeros(3, 4), torch.zeros(4), 0.5),
            r'nms: scores must have shape \(n,\) with n = 3.*got \(4,\)',
        ),
        (
            lambda: soft_nms(torch.zeros(3, 4), torch.zeros(3), method='linaer'),
            r"method must be one of .*'linaer' \(did you mean 'linear'\?\)",
        ),
        (
            lambda: batched_nms(
                torch.zeros(3, 4),
                torch.zeros(3),
                torch.zeros(2, dtype=torch.long),
                dict(iou_threshold=0.5),
            ),
            r'idxs must have shape \(n,\) with n = 3, got \(2,\)',
        ),
        (
            lambda: batched_nms(
                torch.zeros(3, 4),
                torch.zeros(3),
                torch.zeros(3, dtype=torch.long),
                dict(type='nmss'),
            ),
            r"type must be one of \('nms', 'soft_nms'\), got 'nmss' \(did you mean 'nms'",
        ),
        (
            lambda: nms(torch.zeros(3, 4), torch.zeros(3), 0.5, offset=2),
            r'offset must be 0 or 1, got 2',
        ),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_compiled_op_checks_shapes():
    with pytest.raises(
        RuntimeError,
        match=r'nms: scores must have shape \(n,\) with n = boxes.size\(0\) = 3, got \[2\]',
    ):
        torch.ops.detkit.nms(torch.zeros(3, 4), torch.zeros(2), 0.5, 0)
