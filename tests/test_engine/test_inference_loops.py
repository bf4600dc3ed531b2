import numpy as np
import pycocotools.mask as mask_util
import torch
import torch.nn as nn

from detkit.engine import run_inference

from ._toy import toy_loader


class MaskDetector(nn.Module):
    """Per image: one (1, 5) box for class 0 and a 4x4 mask whose set pixel is the image index."""

    def __init__(self, with_masks=True):
        super().__init__()
        self.p = nn.Parameter(torch.zeros(1))
        self.with_masks = with_masks
        self.calls = []

    def forward(self, img, return_loss=True, rescale=False, **kwargs):
        self.calls.append((return_loss, rescale, self.training))
        out = []
        for x in img:
            bboxes = [np.array([[0, 0, 2, 2, float(x[0])]], np.float32), np.zeros((0, 5))]
            mask = np.zeros((4, 4), bool)
            mask[0, 0] = True
            out.append((bboxes, [[mask], []]) if self.with_masks else bboxes)
        return out


def test_results_in_order_with_rle_masks():
    model = MaskDetector()
    loader = toy_loader(5, 2)
    results = run_inference(model, loader)
    assert len(results) == 5 and model.calls == [(False, True, False)] * 3
    for r, x in zip(results, loader.dataset.x):
        bboxes, segms = r
        assert bboxes[0][0, 4] == np.float32(x[0])
        assert isinstance(segms[0][0], dict) and segms[1] == []
        decoded = mask_util.decode(segms[0][0])
        assert decoded.sum() == 1 and decoded[0, 0] == 1


def test_box_only_results_pass_through():
    results = run_inference(MaskDetector(with_masks=False), toy_loader(3, 2))
    assert len(results) == 3 and all(isinstance(r, list) and len(r) == 2 for r in results)
