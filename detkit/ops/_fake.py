"""Fake (meta) kernels of the compiled ops, so that code calling them traces under
``torch.compile(fullgraph=True)`` and runs on meta tensors."""

from __future__ import annotations

import torch
from torch.library import register_fake

from . import _ext  # noqa: F401  (the schemas must be registered first)


@register_fake('detkit::bbox_overlaps')
def _bbox_overlaps_fake(bboxes1, bboxes2, mode, aligned, eps):
    torch._check(bboxes1.dim() == 2 and bboxes1.shape[1] == 4, lambda: 'bboxes1 must be (m, 4)')
    torch._check(bboxes2.dim() == 2 and bboxes2.shape[1] == 4, lambda: 'bboxes2 must be (n, 4)')
    if aligned:
        torch._check(bboxes1.shape[0] == bboxes2.shape[0])
        return bboxes1.new_empty((bboxes1.shape[0],))
    return bboxes1.new_empty((bboxes1.shape[0], bboxes2.shape[0]))


def _check_nms_fake(boxes, scores):
    torch._check(boxes.dim() == 2 and boxes.shape[1] == 4, lambda: 'boxes must be (n, 4)')
    torch._check(
        scores.dim() == 1 and scores.shape[0] == boxes.shape[0], lambda: 'scores must be (n,)'
    )


@register_fake('detkit::nms')
def _nms_fake(boxes, scores, iou_threshold, offset):
    _check_nms_fake(boxes, scores)
    # The number of kept boxes depends on the data.
    num_kept = torch.library.get_ctx().new_dynamic_size()
    return boxes.new_empty((num_kept,), dtype=torch.long)


@register_fake('detkit::batched_nms')
def _batched_nms_fake(boxes, scores, idxs, iou_threshold, offset):
    _check_nms_fake(boxes, scores)
    num_kept = torch.library.get_ctx().new_dynamic_size()
    return boxes.new_empty((num_kept,), dtype=torch.long)


@register_fake('detkit::soft_nms')
def _soft_nms_fake(boxes, scores, iou_threshold, sigma, min_score, method, offset):
    _check_nms_fake(boxes, scores)
    num_kept = torch.library.get_ctx().new_dynamic_size()
    return boxes.new_empty((num_kept, 5)), boxes.new_empty((num_kept,), dtype=torch.long)


def _check_roi_fake(input, rois, pooled_height, pooled_width):
    torch._check(input.dim() == 4, lambda: 'input must be (N, C, H, W)')
    torch._check(rois.dim() == 2 and rois.shape[1] == 5, lambda: 'rois must be (n, 5)')
    torch._check(pooled_height > 0 and pooled_width > 0, lambda: 'output_size must be positive')


@register_fake('detkit::roi_align')
def _roi_align_fake(
    input, rois, spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned, max_mode
):
    _check_roi_fake(input, rois, pooled_height, pooled_width)
    shape = (rois.shape[0], input.shape[1], pooled_height, pooled_width)
    pos_dtype = torch.float64 if input.dtype == torch.float64 else torch.float32
    pos_shape = shape if max_mode else (0,) + shape[1:]
    return (
        input.new_empty(shape),
        input.new_empty(pos_shape, dtype=pos_dtype),
        input.new_empty(pos_shape, dtype=pos_dtype),
    )


@register_fake('detkit::_roi_align_backward')
def _roi_align_backward_fake(
    grad,
    rois,
    argmax_y,
    argmax_x,
    spatial_scale,
    pooled_height,
    pooled_width,
    sampling_ratio,
    aligned,
    max_mode,
    batch_size,
    channels,
    height,
    width,
):
    return grad.new_empty((batch_size, channels, height, width))


@register_fake('detkit::roi_pool')
def _roi_pool_fake(input, rois, spatial_scale, pooled_height, pooled_width):
    _check_roi_fake(input, rois, pooled_height, pooled_width)
    shape = (rois.shape[0], input.shape[1], pooled_height, pooled_width)
    return input.new_empty(shape), input.new_empty(shape, dtype=torch.long)


@register_fake('detkit::_roi_pool_backward')
def _roi_pool_backward_fake(grad, rois, argmax, batch_size, channels, height, width):
    return grad.new_empty((batch_size, channels, height, width))


@register_fake('detkit::sigmoid_focal_loss')
def _sigmoid_focal_loss_fake(input, target, weight, gamma, alpha, with_grad):
    torch._check(input.dim() == 2, lambda: 'input must be (n, C)')
    torch._check(
        target.dim() == 1 and target.shape[0] == input.shape[0], lambda: 'target must be (n,)'
    )
    grad_shape = input.shape if with_grad else (0, input.shape[1])
    return input.new_empty(input.shape), input.new_empty(grad_shape)
