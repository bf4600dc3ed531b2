import pytest
import torch
import torchvision

from detkit.ops import bbox_overlaps, fast_nms, multiclass_nms

from ._helpers import clustered_boxes


def reference(bboxes, scores, score_thr, iou_thr, max_num=-1, factors=None):
    """Per class: threshold, (factor), torchvision NMS; merge by score."""
    n, num_classes = scores.shape[0], scores.shape[1] - 1
    per_class = (
        bboxes.view(n, -1, 4) if bboxes.shape[1] > 4 else bboxes[:, None].expand(n, num_classes, 4)
    )
    all_dets, all_labels, all_inds = [], [], []
    for c in range(num_classes):
        s = scores[:, c]
        rows = (s > score_thr).nonzero().view(-1)
        s = s[rows] * (factors[rows] if factors is not None else 1)
        keep = torchvision.ops.nms(per_class[rows, c], s, iou_thr)
        all_dets.append(torch.cat([per_class[rows[keep], c], s[keep, None]], 1))
        all_labels.append(torch.full((len(keep),), c))
        all_inds.append(rows[keep] * num_classes + c)
    dets, labels, inds = torch.cat(all_dets), torch.cat(all_labels), torch.cat(all_inds)
    order = sorted(range(len(dets)), key=lambda i: (-dets[i, 4].item(), inds[i].item()))
    order = torch.tensor(order, dtype=torch.long)[: max_num if max_num > 0 else None]
    return dets[order], labels[order], inds[order]


@pytest.mark.parametrize('per_class_boxes', [False, True])
@pytest.mark.parametrize('max_num', [-1, 25])
def test_against_per_class_reference(per_class_boxes, max_num):
    g = torch.Generator().manual_seed(0)
    boxes, _ = clustered_boxes(300, g)
    scores = torch.rand(300, 5, generator=g).softmax(1)
    if per_class_boxes:
        boxes = (boxes[:, None] + torch.randn(300, 4, 4, generator=g) * 3).reshape(300, 16)
    factors = torch.rand(300, generator=g)
    for f in (None, factors):
        dets, labels, inds = multiclass_nms(
            boxes,
            scores,
            0.2,
            dict(type='nms', iou_threshold=0.5),
            max_num,
            score_factors=f,
            return_inds=True,
        )
        ref_dets, ref_labels, ref_inds = reference(boxes, scores, 0.2, 0.5, max_num, f)
        assert inds.tolist() == ref_inds.tolist()
        assert labels.tolist() == ref_labels.tolist()
        torch.testing.assert_close(dets, ref_dets)


def test_nothing_above_threshold():
    boxes, scores = torch.rand(10, 4), torch.full((10, 3), 0.01)
    dets, labels = multiclass_nms(boxes, scores, 0.05, dict(type='nms', iou_threshold=0.5))
    assert dets.shape == (0, 5) and labels.shape == (0,)
    dets, labels, inds = multiclass_nms(
        torch.zeros(0, 4), torch.zeros(0, 3), 0.05, dict(iou_threshold=0.5), return_inds=True
    )
    assert dets.shape == (0, 5) and inds.shape == (0,)


def test_bad_shapes():
    with pytest.raises(
        ValueError, match=r'multi_bboxes must have shape \(10, 4\) or \(10, 8\).*got \(10, 5\)'
    ):
        multiclass_nms(torch.zeros(10, 5), torch.zeros(10, 3), 0.05, dict(iou_threshold=0.5))


def test_fast_nms_against_definition():
    g = torch.Generator().manual_seed(1)
    boxes, _ = clustered_boxes(60, g)
    scores = torch.rand(60, 4, generator=g)
    coeffs = torch.randn(60, 8, generator=g)
    dets, labels, out_coeffs = fast_nms(boxes, scores, coeffs, 0.1, 0.5, top_k=30, max_num=40)
    expected = []
    for c in range(3):
        s, idx = scores[:, c].sort(descending=True)
        s, idx = s[:30], idx[:30]
        iou = bbox_overlaps(boxes[idx], boxes[idx]).triu(1)
        for j in range(len(idx)):
            if iou[:, j].max() <= 0.5 and s[j] > 0.1:
                expected.append((s[j].item(), c, idx[j].item()))
    expected.sort(key=lambda e: -e[0])
    expected = expected[:40]
    assert labels.tolist() == [e[1] for e in expected]
    torch.testing.assert_close(dets[:, 4], torch.tensor([e[0] for e in expected]))
    torch.testing.assert_close(dets[:, :4], boxes[[e[2] for e in expected]])
    torch.testing.assert_close(out_coeffs, coeffs[[e[2] for e in expected]])
