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
