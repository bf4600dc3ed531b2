"""``ApproxMaxIoUAssigner``: MaxIoU over groups of approximating anchors (Guided Anchoring)."""
from __future__ import annotations

from typing import Optional

from torch import Tensor

from ....registry import BBOX_ASSIGNERS
from .assign_result import AssignResult
from .max_iou_assigner import MaxIoUAssigner


@BBOX_ASSIGNERS.register_module()
class ApproxMaxIoUAssigner(MaxIoUAssigner):
    """MaxIoU assignment of squares, where a square's IoU with a gt is the best IoU of
    its ``approxs_per_octave`` approximating anchors. Arguments as
    :class:`MaxIoUAssigner`."""

    def assign(self, approxs: Tensor, squares: Tensor, approxs_per_octave: int,
               gt_bboxes: Tensor, gt_bboxes_ignore: Optional[Tensor] = None,
               gt_labels: Optional[Tensor] = None) -> AssignResult:
        """Assign gts to squares.

        Args:
            approxs (Tensor): (S * A, 4), A = ``approxs_per_octave`` per square, grouped
                by square.
            squares (Tensor): (S, 4).
            gt_bboxes (Tensor): (G, 4). gt_bboxes_ignore (Tensor, optional): (I, 4).
            gt_labels (Tensor, optional): (G,).
        """
        num_squares, num_gts = squares.size(0), gt_bboxes.size(0)
        if num_squares == 0 or num_gts == 0:
            return self.assign_wrt_overlaps(approxs.new_zeros((num_gts, num_squares)), gt_labels)
        on_cpu = self._on_cpu(gt_bboxes)
        device = squares.device
        if on_cpu:
            approxs, squares, gt_bboxes = approxs.cpu(), squares.cpu(), gt_bboxes.cpu()
            gt_bboxes_ignore = gt_bboxes_ignore.cpu() if gt_bboxes_ignore is not None else None
            gt_labels = gt_labels.cpu() if gt_labels is not None else None
        all_overlaps = self.iou_calculator(approxs.view(-1, 4), gt_bboxes)  # (S * A, G)
        overlaps = all_overlaps.view(num_squares, approxs_per_octave, num_gts).max(dim=1).values.t()
        ignore = self._ignore_mask(squares, gt_bboxes_ignore)
        if ignore is not None:
            overlaps[:, ignore] = -1
        result = self.assign_wrt_overlaps(overlaps, gt_labels)
        if on_cpu:
            result.gt_inds = result.gt_inds.to(device)
            result.max_overlaps = result.max_overlaps.to(device)
            if result.labels is not None:
                result.labels = result.labels.to(device)
        return result
